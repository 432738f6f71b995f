import t from 'tap'
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { tempDir } from '../helpers/app.js'
import { runToEnd, startProcess } from '../helpers/process.js'
import { startPython } from '../helpers/python.js'
import { startRedis } from '../helpers/redis.js'
import { until } from '../helpers/until.js'
import { apiSuite } from './api-suite.js'
import { startSplit } from './topologies.js'

// hello replaced by a Flask app (test/fixtures/python/hello_app.py): the gateway routes to it,
// proxy calls it through its client, /docs shows it from contracts/hello.json, verify holds it
// to the contract, and it registers itself in Redis discovery like any Cleave instance.

type Document = { info: { description: string }, paths: Record<string, Record<string, { operationId?: string, responses: Record<string, unknown> }>> }

t.test('hello in Flask behind the gateway, called by proxy, shown in /docs and verified', async (t) => {
  const flask = await startPython(t, 'hello_app.py', {}, '/service')
  const { gateway } = await startSplit(t, { modules: ['proxy', 'users'], env: { SERVICE_HELLO_URL: flask.url } })
  await apiSuite(t, gateway.url, { modules: ['hello', 'proxy'] })

  await t.test('/docs/json shows hello from its published contract, as the gateway serves it', async (t) => {
    const flaskDocs = await fetch(`${flask.url}/docs/json`)
    t.equal(flaskDocs.status, 404, 'Flask serves no document of its own')
    await flaskDocs.arrayBuffer()
    const doc = await (await fetch(`${gateway.url}/docs/json`)).json() as Document
    t.equal(doc.paths['/service']?.get?.operationId, 'hello.getService', '/service is listed')
    t.ok(['200', '400', '503', '504'].every((status) => doc.paths['/service']?.get?.responses[status]), 'with the platform\'s refusals and the gateway\'s')
    t.ok(doc.paths['/users']?.post, 'next to a module that serves its own document')
    t.notMatch(doc.info.description, /Not listed.*hello/)
  })

  await t.test('npm run verify -- hello passes, at SERVICE_HELLO_URL', async (t) => {
    const { code, stdout, stderr } = await runToEnd('verify', { SERVICE_HELLO_URL: flask.url }, ['hello'])
    t.equal(code, 0, stderr)
    t.match(stdout, /^hello at http:\/\/127\.0\.0\.1:\d+\/: 1 operation, 2 requests, every answer keeps the contract$/m)
  })
})

t.test('a Flask hello that breaks the contract fails verify with the exact violations', async (t) => {
  const broken = await startPython(t, 'hello_app.py', { HELLO_BROKEN: '1' }, '/service')
  const { code, stdout, stderr } = await runToEnd('verify', {}, ['hello', broken.url])
  t.equal(code, 1)
  const refused = `GET ${broken.url}/service?verifyUnknownField=1 (unknown query parameter verifyUnknownField)`
  t.same(stdout.trim().split('\n').sort(), [
    `warning (a Cleave convention): ${refused} body: expected a field code, got none`,
    `warning (a Cleave convention): ${refused} body: expected a field type, got none`,
    `GET ${broken.url}/service status: expected one of 200, 400, 429, got 201`
  ].sort())
  t.match(stderr, /1 operation, 2 requests, 1 violation of the contract, 2 warnings/)
})

t.test('Flask registers itself in Redis discovery, heartbeats, and withdraws; proxy reaches it', async (t) => {
  const redis = await startRedis(t)
  const discovery = { DISCOVERY: 'redis', REDIS_URL: redis.url, REDIS_PREFIX: `cleave-test-${randomUUID()}:`, DISCOVERY_TTL_MS: '1500' }
  const flask = await startPython(t, 'hello_app.py', discovery, '/service')
  const proxy = await startProcess(t, 'server', { ...discovery, MODULES: 'proxy', DATA_DIR: tempDir(t), LOG_LEVEL: 'warn' })
  const greeting = async () => {
    const res = await fetch(`${proxy.url}/proxy`)
    return { status: res.status, text: await res.text() }
  }
  t.same(await until(async () => { const got = await greeting(); return got.status === 200 && got }, { what: 'proxy reaching Flask' }), { status: 200, text: 'Hello, Microservice!' })

  // Read as any client would: the key, its member and score, against the Redis server's clock.
  const client = new Redis(redis.url)
  t.teardown(() => client.quit())
  const key = `${discovery.REDIS_PREFIX}instances:hello`
  const [member, firstExpiry] = (await client.zrange(key, '0', '-1', 'WITHSCORES')).map(String)
  t.match(member, new RegExp(`^[0-9a-f-]{36} ${flask.url}$`), '"<id> <url>"')
  const serverNow = async () => { const [seconds, micros] = await client.time(); return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) }
  await until(async () => await serverNow() > Number(firstExpiry), { what: 'the first registration expired', timeoutMs: 10_000 })
  t.ok(Number(await client.zscore(key, member)) > Number(firstExpiry), 'heartbeats moved the expiry on')
  t.equal((await greeting()).status, 200, 'still reached after its first registration would have expired')

  t.equal(await flask.stop(), 0, 'Flask exits 0 on SIGTERM')
  t.same(await client.zrange(key, '0', '-1'), [], 'and withdrew')
  const gone = await until(async () => { const got = await greeting(); return got.status === 503 && got }, { what: 'proxy seeing hello gone' })
  t.match(JSON.parse(gone.text), { code: 'CLV_DEPENDENCY_UNAVAILABLE' })
})
