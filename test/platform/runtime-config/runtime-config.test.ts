import t from 'tap'
import type { Logger } from 'pino'
import { buildTestApp } from '../../helpers/app.js'
import { registry } from '../../helpers/modules.js'

const token = 'admin-token-0123456789'
const bearer = { authorization: `Bearer ${token}` }

t.test('without ADMIN_TOKEN the admin routes do not exist', async (t) => {
  const app = await buildTestApp(t, { modules: ['hello'] })
  for (const method of ['GET', 'PATCH'] as const) {
    const res = await app.inject({ method, url: '/admin/config', headers: bearer, payload: method === 'PATCH' ? {} : undefined })
    t.equal(res.statusCode, 404, method)
    t.match(res.json(), { code: 'CLV_ROUTE_NOT_FOUND' })
  }
})

t.test('a wrong or missing token is a 401 problem that names no token', async (t) => {
  const app = await buildTestApp(t, { modules: ['hello'], env: { ADMIN_TOKEN: token } })
  const wrong = 'wrong-token-9876543210'
  for (const authorization of [undefined, `Bearer ${wrong}`, `Basic ${Buffer.from(`admin:${wrong}`).toString('base64')}`, 'Basic !!!', `Bearer ${token.slice(0, -1)}`]) {
    const res = await app.inject({ url: '/admin/config', headers: authorization ? { authorization } : {} })
    t.equal(res.statusCode, 401, String(authorization))
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.same(res.headers['www-authenticate'], ['Bearer realm="cleave admin"', 'Basic realm="cleave admin"'])
    t.match(res.json(), { status: 401, code: 'CLV_ADMIN_UNAUTHORIZED' })
    t.notMatch(res.body, wrong)
    t.notMatch(res.body, token.slice(0, -1))
  }
  const basic = await app.inject({ url: '/admin/config', headers: { authorization: `Basic ${Buffer.from(`anyone:${token}`).toString('base64')}` } })
  t.equal(basic.statusCode, 200, 'HTTP Basic with the token as password is accepted')
})

t.test('a weak ADMIN_TOKEN fails config validation without being echoed', async (t) => {
  const { loadConfig, ConfigError } = await import('../../../src/platform/config/config.js')
  try {
    loadConfig({ ADMIN_TOKEN: 'short-secret' }, registry)
    t.fail('a 12-character token was accepted')
  } catch (error) {
    t.ok(error instanceof ConfigError)
    t.match((error as Error).message, /ADMIN_TOKEN: expected .*16 characters.*12 characters \(not shown\)/)
    t.notMatch((error as Error).message, 'short-secret')
  }
})

t.test('GET shows the values in force; PATCH merges, applies at once, and null removes an override', async (t) => {
  const app = await buildTestApp(t, { modules: ['hello'], env: { ADMIN_TOKEN: token, LOG_LEVEL: 'info', RATE_LIMIT_WINDOW_MS: '30000' } })
  const first = await app.inject({ url: '/admin/config', headers: bearer })
  t.same(first.json(), {
    version: 0,
    values: { logLevel: 'info', breakers: {}, rateLimit: { max: 0, windowMs: 30000 }, features: {} },
    overrides: {}
  })
  const seen: string[] = []
  app.runtimeConfig.onChange((values, previous) => { seen.push(`${previous.logLevel}→${values.logLevel}`) })

  const patched = await app.inject({
    method: 'PATCH',
    url: '/admin/config',
    headers: { ...bearer, 'content-type': 'application/merge-patch+json' },
    payload: JSON.stringify({ logLevel: 'warn', features: { 'new-checkout': true }, breakers: { users: { volumeThreshold: 2 } }, rateLimit: { max: 10 } })
  })
  t.equal(patched.statusCode, 200)
  t.match(patched.json(), { version: 1, values: { logLevel: 'warn', rateLimit: { max: 10, windowMs: 30000 }, breakers: { users: { volumeThreshold: 2 } } } })
  t.equal(app.log.level, 'warn', 'the log level is applied to the process logger')
  t.equal(app.runtimeConfig.feature('new-checkout'), true)
  t.equal(app.runtimeConfig.feature('unset-flag'), false)
  t.same(seen, ['info→warn'])

  const removed = await app.inject({ method: 'PATCH', url: '/admin/config', headers: bearer, payload: { logLevel: null, features: { 'new-checkout': null } } })
  t.match(removed.json(), { version: 2, values: { logLevel: 'info', features: {} }, overrides: { rateLimit: { max: 10 } } })
  t.equal(app.log.level, 'info', 'back to the environment\'s level')
})

t.test('an invalid change is refused whole, naming every bad field, and nothing changes', async (t) => {
  const app = await buildTestApp(t, { modules: ['hello'], env: { ADMIN_TOKEN: token } })
  const before = (await app.inject({ url: '/admin/config', headers: bearer })).json()
  const cases: Array<[string, unknown, string[]]> = [
    ['wrong type', { rateLimit: { max: 'ten' } }, ['/rateLimit/max']],
    ['unknown key', { colour: 'blue' }, ['/colour']],
    ['unknown breaker target', { breakers: { nowhere: { timeoutMs: 5 } } }, ['/breakers/nowhere']],
    ['one bad field among good ones', { logLevel: 'warn', features: { beta: true }, breakers: { users: { timeoutMs: 0, volumeThreshold: 3 } } }, ['/breakers/users/timeoutMs']],
    ['a bad log level', { logLevel: 'loud' }, ['/logLevel']],
    ['not an object', [1, 2], ['/']]
  ]
  for (const [what, payload, fields] of cases) {
    const res = await app.inject({ method: 'PATCH', url: '/admin/config', headers: bearer, payload: payload as object })
    t.equal(res.statusCode, 400, what)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    const problem = res.json()
    t.equal(problem.code, 'CLV_RUNTIME_CONFIG_INVALID', what)
    t.same([...new Set(problem.errors.map((error: { field: string }) => error.field))], fields, what)
    t.match(problem.detail, fields[0])
  }
  t.same((await app.inject({ url: '/admin/config', headers: bearer })).json(), before, 'nothing changed')
  t.equal(app.log.level, 'silent')
})

t.test('values the runtime cannot honour are refused by name; the largest it can are accepted', async (t) => {
  const app = await buildTestApp(t, { modules: ['hello'], env: { ADMIN_TOKEN: token } })
  const patch = (payload: object) => app.inject({ method: 'PATCH', url: '/admin/config', headers: bearer, payload })
  const huge = 1e308
  const flags = (count: number, length = 8) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`f${String(i).padStart(length - 1, '0')}`, true]))
  const longName = 'a'.repeat(65)
  const cases: Array<[string, object, string[]]> = [
    ['a timer past 2^31 - 1 ms (Node would fire it after 1 ms)', { breakers: { users: { timeoutMs: 2_147_483_648 } } }, ['/breakers/users/timeoutMs']],
    ['1e308 anywhere', {
      breakers: { users: { timeoutMs: huge, volumeThreshold: huge, resetTimeoutMs: huge, windowMs: huge, consecutiveFailures: huge, concurrency: huge } },
      rateLimit: { max: huge, windowMs: huge }
    }, ['/breakers/users/timeoutMs', '/breakers/users/volumeThreshold', '/breakers/users/resetTimeoutMs', '/breakers/users/windowMs', '/breakers/users/consecutiveFailures', '/breakers/users/concurrency', '/rateLimit/max', '/rateLimit/windowMs']],
    ['one flag too many', { features: flags(101) }, ['/features']],
    ['a flag name too long', { features: { [longName]: true } }, [`/features/${longName}`]]
  ]
  for (const [what, payload, fields] of cases) {
    const res = await patch(payload)
    t.equal(res.statusCode, 400, what)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.equal(res.json().code, 'CLV_RUNTIME_CONFIG_INVALID', what)
    t.same([...new Set(res.json().errors.map((error: { field: string }) => error.field))], fields, what)
  }
  t.equal(app.runtimeConfig.version, 0, 'nothing was stored')

  const largest = {
    breakers: { users: { timeoutMs: 2_147_483_647, volumeThreshold: 100_000, resetTimeoutMs: 2_147_483_647, windowMs: 2_147_483_647, consecutiveFailures: 100_000, concurrency: 10_000 } },
    rateLimit: { max: 1_000_000, windowMs: 2_147_483_647 },
    features: flags(100, 64)
  }
  const accepted = await patch(largest)
  t.equal(accepted.statusCode, 200, 'every maximum is accepted')
  t.same(app.runtimeConfig.overrides, largest)
  t.equal((await patch({ features: { [`f${'0'.repeat(63)}`]: null, extra: true } })).statusCode, 200, 'a flag may replace another at the limit')
  t.equal((await patch({ features: { another: true } })).statusCode, 400, 'the limit counts the flags already set')
})

t.test('per-request loggers follow the runtime log level', async (t) => {
  const app = await buildTestApp(t, { modules: ['hello'], env: { ADMIN_TOKEN: token, LOG_LEVEL: 'info' } })
  // The access log line is written only if the request's own (child) logger has info enabled.
  const infoEnabled: boolean[] = []
  app.addHook('onResponse', async (request) => { if (request.url === '/service') infoEnabled.push((request.log as unknown as Logger).isLevelEnabled('info')) })
  await app.inject('/service')
  await app.inject({ method: 'PATCH', url: '/admin/config', headers: bearer, payload: { logLevel: 'warn' } })
  await app.inject('/service')
  await app.inject({ method: 'PATCH', url: '/admin/config', headers: bearer, payload: { logLevel: 'debug' } })
  await app.inject('/service')
  t.same(infoEnabled, [true, false, true])
})
