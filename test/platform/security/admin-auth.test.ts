import t from 'tap'
import { buildTestApp, tempDir } from '../../helpers/app.js'
import { logLine, startProcess } from '../../helpers/process.js'
import { startRedis } from '../../helpers/redis.js'
import { authFailureBudget } from '../../../src/platform/security/rate-limit.js'

const token = 'admin-token-0123456789'
const wrong = 'wrong-token-9876543210'
const right = { authorization: `Bearer ${token}` }
const guess = { authorization: `Bearer ${wrong}` }
const { max } = authFailureBudget

t.test('a real server: a burst of wrong tokens gets the budget in 401s, then 429s, each logged at warn with the address', async (t) => {
  // RATE_LIMIT_MAX is not set: no general limit, and the guesses are limited all the same.
  const server = await startProcess(t, 'server', { MODULES: 'hello', DATA_DIR: tempDir(t), ADMIN_TOKEN: token })
  const guesses = 50
  const answers = await Promise.all(Array.from({ length: guesses }, () => fetch(`${server.url}/admin/config`, { headers: guess })))
  const statuses = answers.map((res) => res.status)
  t.equal(statuses.filter((status) => status === 401).length, max, 'the budget, and not one guess more, is checked')
  t.equal(statuses.filter((status) => status === 429).length, guesses - max, 'the rest are refused')
  const limited = answers.find((res) => res.status === 429)!
  t.match(limited.headers.get('content-type'), /^application\/problem\+json/)
  const retryAfter = Number(limited.headers.get('retry-after'))
  t.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter} s, within the window`)
  t.match(await limited.json(), { status: 429, code: 'CLV_RATE_LIMITED', limit: max, windowMs: 60_000, retryAfterSeconds: retryAfter })

  const refused = await fetch(`${server.url}/admin/config`, { headers: right })
  t.equal(refused.status, 429, 'the right token too, once the budget is spent')

  const lockedOut = await logLine(server, 'the refused right token', (line) => /right token, but this client is over its budget/.test(String(line.msg)))
  t.match(lockedOut, { level: 40, clientAddress: '127.0.0.1' })
  // pino writes in order: every failure is in by now.
  const failed = server.logs.filter((line) => line.msg === 'admin authentication failed')
  t.equal(failed.length, max, 'one line per failure within the budget; the 429s past it are not logged, or a guesser would flood the log')
  t.ok(failed.every((line) => line.level === 40 && line.clientAddress === '127.0.0.1'), 'each at warn, with the client address')
  t.notOk(JSON.stringify(server.logs).includes(wrong), 'the token sent is never logged')
})

for (const rateLimitMax of ['0', '1000']) {
  t.test(`RATE_LIMIT_MAX=${rateLimitMax}: the right token works while the budget lasts, not after it, and again in the next window`, async (t) => {
    const app = await buildTestApp(t, { modules: ['hello'], env: { ADMIN_TOKEN: token, RATE_LIMIT_MAX: rateLimitMax } })
    const admin = (headers: Record<string, string>, remoteAddress = '203.0.113.7') => app.inject({ url: '/admin/config', headers, remoteAddress })
    for (let i = 1; i < max; i++) t.equal((await admin(guess)).statusCode, 401, `guess ${i}`)
    t.equal((await admin(right)).statusCode, 200, 'the right token, with one failure left')
    t.equal((await admin(right)).statusCode, 200, 'and it used none')
    const none = await admin({})
    t.equal(none.statusCode, 401, 'no credential at all: the challenge, as a browser\'s first visit gets')
    t.same(none.headers['www-authenticate'], ['Bearer realm="cleave admin"', 'Basic realm="cleave admin"'])
    t.equal((await admin(right)).statusCode, 200, 'and it is not a guess: the budget still has one failure left')
    t.equal((await admin(guess)).statusCode, 401, 'the last failure of the budget')

    const refused = await admin(right)
    t.equal(refused.statusCode, 429, 'the right token is refused once the budget is spent')
    t.ok(Number(refused.headers['retry-after']) > 0, 'with Retry-After')
    t.notMatch(refused.body, token)
    const over = await admin(guess)
    t.equal(over.statusCode, 429)
    t.match(over.json(), { code: 'CLV_RATE_LIMITED', limit: max, detail: /Too many failed authentications from this client/ })
    t.equal((await admin(right, '198.51.100.9')).statusCode, 200, 'another client has its own budget')

    const now = Date.now()
    t.intercept(Date, 'now', { value: () => now + authFailureBudget.windowMs + 1 })
    t.equal((await admin(right)).statusCode, 200, 'the next window starts with the whole budget')
  })
}

t.test('an IPv6 client is counted by its /64, so it cannot pick a fresh address per guess', async (t) => {
  const app = await buildTestApp(t, { modules: ['hello'], env: { ADMIN_TOKEN: token } })
  for (let i = 1; i <= max; i++) t.equal((await app.inject({ url: '/admin/config', headers: guess, remoteAddress: `2001:db8:1:2::${i}` })).statusCode, 401)
  t.equal((await app.inject({ url: '/admin/config', headers: guess, remoteAddress: '2001:db8:1:2::ffff' })).statusCode, 429)
  t.equal((await app.inject({ url: '/admin/config', headers: right, remoteAddress: '2001:db8:1:3::1' })).statusCode, 200, 'the next /64 is another client')
})

t.test('with Redis the budget is the fleet\'s, and while Redis is down each process counts on its own', async (t) => {
  const redis = await startRedis(t)
  const env = { ADMIN_TOKEN: token, REDIS_URL: redis.url, REDIS_PREFIX: 'admin-auth-test:' }
  const one = await buildTestApp(t, { modules: ['hello'], env })
  const other = await buildTestApp(t, { modules: ['hello'], env })
  for (let i = 0; i < max; i++) t.equal((await one.inject({ url: '/admin/config', headers: guess })).statusCode, 401)
  t.equal((await other.inject({ url: '/admin/config', headers: guess })).statusCode, 429, 'the other process counts the same failures')
  t.equal((await other.inject({ url: '/admin/config', headers: right })).statusCode, 429)

  await redis.stop()
  const fromElsewhere = (headers: Record<string, string>) => other.inject({ url: '/admin/config', headers, remoteAddress: '198.51.100.9' })
  t.equal((await fromElsewhere(right)).statusCode, 200, 'the right token gets in')
  for (let i = 0; i < max; i++) t.equal((await fromElsewhere(guess)).statusCode, 401, `guess ${i + 1}, counted in this process`)
  t.equal((await fromElsewhere(guess)).statusCode, 429, 'and limited all the same')
  t.equal((await fromElsewhere(right)).statusCode, 429, 'the right token too, past the budget')
})
