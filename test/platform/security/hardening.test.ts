import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { ConfigSchema, loadConfig, secretConfigKeys } from '../../../src/platform/config/config.js'
import { buildGateway } from '../../../src/platform/app/build-gateway.js'
import { createServiceTokens } from '../../../src/platform/security/service-token.js'
import { serviceTokenHeader } from '../../../src/platform/primitives/header-names.js'
import { buildTestApp, tempDir } from '../../helpers/app.js'
import { logLine, projectRoot, startProcess } from '../../helpers/process.js'
import { registry } from '../../helpers/modules.js'

const secret = 'a-test-secret-that-is-long-enough-0123456789'
const ada = { name: 'Ada', email: 'ada@example.com' }

t.test('helmet headers on API answers, problems and the docs', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'] })
  for (const url of ['/users', '/users/999', '/docs/json', '/health/live']) {
    const res = await app.inject(url)
    t.equal(res.headers['x-content-type-options'], 'nosniff', url)
    t.equal(res.headers['x-frame-options'], 'SAMEORIGIN', url)
    t.match(res.headers['content-security-policy'], /default-src 'self'/, url)
    t.notMatch(res.headers['content-security-policy'], /upgrade-insecure-requests/, `${url}: pages reached over http keep loading their assets over http`)
  }
})

t.test('CORS: off by default; CORS_ORIGINS allows the listed origins only', async (t) => {
  const preflight = (origin: string) => ({ method: 'OPTIONS' as const, url: '/users', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } })

  const closed = await buildTestApp(t, { modules: ['users'] })
  const plain = await closed.inject({ url: '/users', headers: { origin: 'https://app.example.com' } })
  t.notOk(Object.keys(plain.headers).some((name) => name.startsWith('access-control-')), 'no CORS header without CORS_ORIGINS')
  const refusedPreflight = await closed.inject(preflight('https://app.example.com'))
  t.notOk(refusedPreflight.headers['access-control-allow-origin'])

  const open = await buildTestApp(t, { modules: ['users'], env: { CORS_ORIGINS: 'https://app.example.com,https://admin.example.com' } })
  const allowed = await open.inject(preflight('https://app.example.com'))
  t.equal(allowed.statusCode, 204)
  t.equal(allowed.headers['access-control-allow-origin'], 'https://app.example.com')
  t.match(allowed.headers['access-control-allow-methods'], /POST/)
  const other = await open.inject(preflight('https://evil.example.net'))
  t.notOk(other.headers['access-control-allow-origin'], 'another origin gets no allow-origin')
  const simple = await open.inject({ url: '/users', headers: { origin: 'https://admin.example.com' } })
  t.equal(simple.headers['access-control-allow-origin'], 'https://admin.example.com')
  t.match(simple.headers['access-control-expose-headers'], /x-request-id/)

  const any = await buildTestApp(t, { modules: ['users'], env: { CORS_ORIGINS: '*' } })
  t.equal((await any.inject(preflight('https://anywhere.example.org'))).headers['access-control-allow-origin'], '*')
  t.throws(() => loadConfig({ CORS_ORIGINS: 'app.example.com' }, registry), /CORS_ORIGINS: expected browser origins/)
})

t.test('a body over BODY_LIMIT_BYTES is a 413 problem naming the limit', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'], env: { BODY_LIMIT_BYTES: '100' } })
  const big = await app.inject({ method: 'POST', url: '/users', payload: { name: 'Ada', email: `${'a'.repeat(120)}@example.com` } })
  t.equal(big.statusCode, 413)
  t.match(big.headers['content-type'], /^application\/problem\+json/)
  t.match(big.json(), { status: 413, code: 'CLV_BODY_TOO_LARGE', detail: 'The request body is larger than the limit of 100 bytes' })
  t.equal((await app.inject({ method: 'POST', url: '/users', payload: ada })).statusCode, 201, 'a body under the limit passes')
  t.equal(loadConfig({}, registry).BODY_LIMIT_BYTES, 1_048_576, 'the default is Fastify\'s own 1 MiB, stated')
})

t.test('the gateway refuses a declared length over the limit without asking a service', async (t) => {
  const gateway = await buildGateway(loadConfig({ LOG_LEVEL: 'silent', BODY_LIMIT_BYTES: '100' }, registry), registry, { modules: ['users'] })
  t.teardown(() => gateway.close())
  const res = await gateway.inject({ method: 'POST', url: '/users', headers: { 'content-type': 'application/json' }, payload: 'x'.repeat(101) })
  t.equal(res.statusCode, 413)
  t.match(res.json(), { code: 'CLV_BODY_TOO_LARGE', detail: 'The request body is larger than the limit of 100 bytes' })
  t.equal(res.headers['x-content-type-options'], 'nosniff', 'the gateway sends helmet headers too')
})

t.test('SERVICE_SECRET: module routes need a signed token; health, metrics and docs stay open', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'], env: { SERVICE_SECRET: secret } })
  const tokens = createServiceTokens([secret], 'cleave:test', { lifetimeMs: 5000, skewMs: 5000 })
  const forUsers = (target: string, method = 'GET') => ({ method, target, module: 'users' })
  let caller: string | undefined = 'not set'
  app.addHook('onResponse', async (request) => { caller = request.serviceCaller })

  const missing = await app.inject('/users')
  t.equal(missing.statusCode, 401)
  t.match(missing.headers['content-type'], /^application\/problem\+json/)
  t.match(missing.json(), { status: 401, code: 'CLV_SERVICE_TOKEN_MISSING' })

  const signed = await app.inject({ url: '/users?limit=1', headers: { [serviceTokenHeader]: tokens.sign(forUsers('/users?limit=1'), undefined) } })
  t.equal(signed.statusCode, 200)
  t.equal(caller, 'cleave:test', 'the request knows it came from a service')

  const create = await app.inject({ method: 'POST', url: '/users', payload: ada, headers: { [serviceTokenHeader]: tokens.sign(forUsers('/users', 'POST'), JSON.stringify(ada)) } })
  t.equal(create.statusCode, 201)
  const otherBody = await app.inject({ method: 'POST', url: '/users', payload: { ...ada, email: 'mallory@example.com' }, headers: { [serviceTokenHeader]: tokens.sign(forUsers('/users', 'POST'), JSON.stringify(ada)) } })
  t.equal(otherBody.statusCode, 401, 'a token signed for one body does not carry another')
  t.match(otherBody.json(), { code: 'CLV_SERVICE_TOKEN_INVALID', detail: /not signed for this body/ })
  const noBody = await app.inject({ method: 'POST', url: '/users', payload: ada, headers: { [serviceTokenHeader]: tokens.sign(forUsers('/users', 'POST'), undefined) } })
  t.equal(noBody.statusCode, 401, 'nor does one signed for no body')

  const token = tokens.sign(forUsers('/users/1'), undefined)
  const cases = [
    { name: 'a token for another path', url: '/users/2', token, code: 'CLV_SERVICE_TOKEN_INVALID' },
    { name: 'a token for another method', url: '/users/1', method: 'DELETE' as const, token, code: 'CLV_SERVICE_TOKEN_INVALID' },
    { name: 'another secret', url: '/users/1', token: createServiceTokens(['b'.repeat(32)], 'x', { lifetimeMs: 5000, skewMs: 5000 }).sign(forUsers('/users/1'), undefined), code: 'CLV_SERVICE_TOKEN_INVALID' },
    { name: 'a token for another module', url: '/users/1', token: tokens.sign({ method: 'GET', target: '/users/1', module: 'orders' }, undefined), code: 'CLV_SERVICE_TOKEN_INVALID' },
    { name: 'an expired token', url: '/users/1', token: tokens.sign(forUsers('/users/1'), undefined, Date.now() - 20_000), code: 'CLV_SERVICE_TOKEN_EXPIRED' },
    { name: 'garbage', url: '/users/1', token: 'Bearer nonsense', code: 'CLV_SERVICE_TOKEN_MALFORMED' }
  ]
  for (const { name, url, method = 'GET', token, code } of cases) {
    caller = 'not set'
    const res = await app.inject({ method, url, headers: { [serviceTokenHeader]: token } })
    t.equal(res.statusCode, 401, name)
    t.match(res.json(), { code }, name)
    t.notOk(res.body.includes(token) || res.body.includes(secret), `${name}: neither token nor secret in the answer`)
    t.equal(caller, undefined, `${name}: not a service call`)
  }
  t.equal((await app.inject('/users/1')).statusCode, 401, 'GET /users/:id too')

  for (const url of ['/health/live', '/health/ready', '/metrics', '/docs/json']) t.equal((await app.inject(url)).statusCode, 200, `${url} needs no token`)
  t.equal((await app.inject('/nope')).statusCode, 404, 'unknown routes are still 404')
})

t.test('without SERVICE_SECRET no token is needed and none is checked', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'] })
  t.equal(app.serviceTokens, undefined)
  t.equal((await app.inject({ url: '/users', headers: { [serviceTokenHeader]: 'garbage' } })).statusCode, 200)
})

t.test('SERVICE_SECRET is checked at start-up and never echoed', async (t) => {
  const short = 'too-short-secret'
  const error = t.throws(() => loadConfig({ SERVICE_SECRET: `${secret},${short}` }, registry)) as Error
  t.match(error.message, /SERVICE_SECRET: expected shared secret\(s\) of at least 32 characters/)
  t.notOk(error.message.includes(short) || error.message.includes(secret), 'the value is not in the message')
  t.same(loadConfig({ SERVICE_SECRET: `${secret},${'n'.repeat(32)}` }, registry).SERVICE_SECRET, `${secret},${'n'.repeat(32)}`, 'two secrets for a rotation')
})

t.test('the logger redacts secret headers and settings wherever a logged object carries them', async (t) => {
  const script = `
    const { loadConfig } = await import('./src/platform/config/config.ts')
    const { createLogger } = await import('./src/platform/observability/logger.ts')
    const config = loadConfig({ LOG_LEVEL: 'trace', SERVICE_SECRET: ${JSON.stringify(secret)} }, { names: [], external: [] })
    const log = createLogger(config)
    const headers = { authorization: 'Bearer abc-credential', cookie: 'sid=abc-cookie', 'set-cookie': 'sid=abc-set-cookie', '${serviceTokenHeader}': 'v1.abc-token', accept: 'kept' }
    log.info({ headers }, 'headers')
    log.info({ req: { headers }, res: { headers } }, 'request and response')
    log.info({ err: Object.assign(new Error('boom'), { headers }) }, 'an error carrying headers')
    log.info({ config }, 'whole config')
    log.info(config, 'config as the object')
    log.flush()
  `
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  child.stdout.on('data', (chunk) => { output += chunk })
  await once(child, 'close')
  const lines = output.trim().split('\n').map((line) => JSON.parse(line))
  t.equal(lines.length, 5, 'every line was written')
  for (const value of ['abc-credential', 'abc-cookie', 'abc-set-cookie', 'abc-token', secret]) t.notOk(output.includes(value), `${value} is redacted`)
  t.equal(lines[0].headers.accept, 'kept', 'other headers stay')
  t.equal(lines[1].req.headers.authorization, '[redacted]')
  t.equal(lines[3].config.SERVICE_SECRET, '[redacted]')
  t.equal(lines[3].config.PORT, 3000, 'other settings stay')
})

t.test('every setting named like a secret is marked secret', async (t) => {
  const named = Object.keys(ConfigSchema.properties).filter((key) => /SECRET|TOKEN|PASSWORD|API_KEY/.test(key))
  t.ok(named.includes('SERVICE_SECRET'))
  for (const key of named) t.ok(secretConfigKeys.includes(key), `${key} has secret: true (never echoed, redacted in logs)`)
})

t.test('a server that calls other services without SERVICE_SECRET says so at start-up', async (t) => {
  const server = await startProcess(t, 'server', { MODULES: 'proxy', DATA_DIR: tempDir(t), SERVICE_HELLO_URL: 'http://127.0.0.1:9' })
  t.ok(await logLine(server, 'the SERVICE_SECRET warning', (line) => line.level === 40 && /SERVICE_SECRET is not set/.test(String(line.msg))), 'a warning names SERVICE_SECRET')
  const open = await startProcess(t, 'server', { MODULES: 'hello', DATA_DIR: tempDir(t) })
  // Everything it wrote at start-up has been read once it has exited.
  open.child.kill('SIGTERM')
  t.equal(await open.exited, 0)
  t.notOk(open.logs.some((line) => /SERVICE_SECRET/.test(String(line.msg))), 'a lone process is not warned')
})
