import t from 'tap'
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { buildTestApp } from '../../helpers/app.js'
import { startRedis } from '../../helpers/redis.js'

// Over real HTTP: hanging up is about the connection, which inject does not have.
const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

t.test('while draining the app is not ready but serves every request, each telling its client to hang up', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'] })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const before = await post(`${url}/users`, { name: 'Ada', email: 'ada@example.com' })
  t.equal(before.status, 201)
  t.not(before.headers.get('connection'), 'close', 'keep-alive as usual before draining')
  t.equal(app.draining, false)

  const drained = app.drain(60_000)
  t.equal(app.drain(), drained, 'a second drain is the one under way')
  t.equal(app.draining, true)

  const ready = await app.inject('/health/ready')
  t.equal(ready.statusCode, 503)
  t.match(ready.json(), { code: 'CLV_NOT_READY', detail: 'Not ready: draining', checks: { draining: 'shutting down', 'users-db': 'ok' } })
  t.match((await app.inject('/health')).json(), { status: 'not ready', draining: true })

  const read = await fetch(`${url}/users/1`)
  t.equal(read.status, 200, 'requests are still served')
  t.equal(read.headers.get('connection'), 'close')
  const write = await post(`${url}/users`, { name: 'Bo', email: 'bo@example.com' })
  t.equal(write.status, 201)
  t.equal(write.headers.get('connection'), 'close')
  await Promise.all([before, read, write].map((response) => response.text()))
})

t.test('drain resolves after the delay, still serving', async (t) => {
  const app = await buildTestApp(t, { modules: ['hello'] })
  await app.drain(50)
  t.equal((await app.inject('/service')).statusCode, 200)
  t.equal((await app.inject('/health/ready')).statusCode, 503)
})

t.test('drain withdraws the instance from Redis discovery first', async (t) => {
  const redis = await startRedis(t)
  const prefix = `cleave-test-${randomUUID()}:`
  const app = await buildTestApp(t, { modules: ['hello'], env: { DISCOVERY: 'redis', REDIS_URL: redis.url, REDIS_PREFIX: prefix } })
  const client = new Redis(redis.url)
  t.teardown(async () => { await client.quit() })
  const registered = () => client.zrange(`${prefix}instances:hello`, '0', '-1')

  await app.discovery.announcer.announce('http://127.0.0.1:9', ['hello'])
  t.equal((await registered()).length, 1, 'registered')
  const drained = app.drain(60_000)
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.same(await registered(), [], 'gone while the drain still waits')
  t.equal((await app.inject('/service')).statusCode, 200)
  t.equal(app.drain(), drained)
})
