import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'
import { loadConfig } from '../../../src/platform/config/config.js'
import { buildGateway } from '../../../src/platform/app/build-gateway.js'
import { createServiceTokens } from '../../../src/platform/security/service-token.js'
import { serviceTokenHeader } from '../../../src/platform/primitives/header-names.js'
import { registry } from '../../helpers/modules.js'

const token = 'admin-token-0123456789'
const bearer = { authorization: `Bearer ${token}` }

t.test('off by default: RATE_LIMIT_MAX=0 never limits', async (t) => {
  const app = await buildTestApp(t, { modules: ['hello'] })
  for (let i = 0; i < 30; i++) t.equal((await app.inject('/service')).statusCode, 200)
})

t.test('past the limit: 429 problem naming the limit, with Retry-After; health and metrics never limited', async (t) => {
  const app = await buildTestApp(t, { modules: ['hello'], env: { RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW_MS: '60000' } })
  t.equal((await app.inject('/service')).statusCode, 200)
  t.equal((await app.inject('/service')).statusCode, 200)
  const limited = await app.inject('/service')
  t.equal(limited.statusCode, 429)
  t.match(limited.headers['content-type'], /^application\/problem\+json/)
  t.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After in seconds')
  t.match(limited.json(), { status: 429, code: 'CLV_RATE_LIMITED', limit: 2, windowMs: 60000, detail: /2 requests per 60000 ms/, instance: '/service' })
  t.equal(limited.json().retryAfterSeconds, Number(limited.headers['retry-after']))
  for (const url of ['/health/live', '/health/ready', '/metrics']) {
    for (let i = 0; i < 4; i++) t.equal((await app.inject(url)).statusCode, 200, url)
  }
  t.equal((await app.inject({ url: '/service', remoteAddress: '10.1.2.3' })).statusCode, 200, 'another client IP has its own count')
})

t.test('the runtime config changes the limit without a restart; admin calls are never limited', async (t) => {
  const app = await buildTestApp(t, { modules: ['hello'], env: { ADMIN_TOKEN: token } })
  for (let i = 0; i < 5; i++) t.equal((await app.inject('/service')).statusCode, 200)
  t.equal((await app.inject({ method: 'PATCH', url: '/admin/config', headers: bearer, payload: { rateLimit: { max: 1, windowMs: 60000 } } })).statusCode, 200)
  t.equal((await app.inject('/service')).statusCode, 200)
  t.equal((await app.inject('/service')).statusCode, 429, 'the lowered max applies to the next request')
  for (let i = 0; i < 3; i++) t.equal((await app.inject({ url: '/admin/config', headers: bearer })).statusCode, 200, 'an authenticated admin call is exempt')
  t.equal((await app.inject({ url: '/admin/config' })).statusCode, 401, 'the admin guard answers first')
  t.equal((await app.inject({ method: 'PATCH', url: '/admin/config', headers: bearer, payload: { rateLimit: { max: 0 } } })).statusCode, 200)
  t.equal((await app.inject('/service')).statusCode, 200, 'max 0 turns limiting off again')
})

t.test('the gateway limits too, and serves the runtime config for itself', async (t) => {
  const gateway = await buildGateway(loadConfig({ LOG_LEVEL: 'silent', ADMIN_TOKEN: token, RATE_LIMIT_MAX: '1' }, registry), registry, { modules: ['hello'] })
  t.teardown(() => gateway.close())
  t.equal((await gateway.inject('/service')).statusCode, 503, 'no hello instance: the first request is routed')
  const limited = await gateway.inject('/service')
  t.equal(limited.statusCode, 429)
  t.match(limited.json(), { code: 'CLV_RATE_LIMITED', limit: 1 })
  t.equal((await gateway.inject('/health/live')).statusCode, 200)
  t.equal((await gateway.inject({ method: 'PATCH', url: '/admin/config', headers: bearer, payload: { rateLimit: { max: 100 }, logLevel: 'error' } })).statusCode, 200)
  t.equal(gateway.log.level, 'error')
  t.equal((await gateway.inject('/service')).statusCode, 503, 'the raised limit applies at once')
})

t.test('signed service calls are not counted again (the gateway counted them against their client)', async (t) => {
  const secret = 's'.repeat(32)
  const app = await buildTestApp(t, { modules: ['hello'], env: { RATE_LIMIT_MAX: '1', SERVICE_SECRET: secret } })
  const tokens = createServiceTokens([secret], 'cleave:gateway', { lifetimeMs: 5000, skewMs: 5000 })
  for (let i = 0; i < 5; i++) {
    t.equal((await app.inject({ url: '/service', headers: { [serviceTokenHeader]: tokens.sign({ method: 'GET', target: '/service', module: 'hello' }, undefined) } })).statusCode, 200, 'signed')
  }
  const forged = await app.inject({ url: '/service', headers: { [serviceTokenHeader]: 'v2.1.eA..eA' } })
  t.equal(forged.statusCode, 401, 'an invalid token is refused, not exempted')
})
