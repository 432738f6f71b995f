import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { createRedisDiscovery } from '../../../src/platform/discovery/redis.js'
import { buildTestApp, tempDir } from '../../helpers/app.js'
import { startProcess } from '../../helpers/process.js'
import { startRedis, type TestRedis } from '../../helpers/redis.js'
import { until } from '../../helpers/until.js'

const TTL = 600
const CACHE_MS = TTL / 5

function recorder () {
  const lines: Array<{ level: string, msg: string }> = []
  const at = (level: string) => (obj: unknown, msg?: string) => {
    lines.push({ level, msg: typeof obj === 'string' ? obj : msg ?? '' })
  }
  return { lines, log: { debug: at('debug'), info: at('info'), warn: at('warn') } }
}

function discovery (t: Test, redis: TestRedis, prefix: string, log = recorder().log) {
  const found = createRedisDiscovery({ redis: redis.url, prefix, ttlMs: TTL, log })
  t.teardown(async () => {
    await found.announcer.withdraw()
    await found.resolver.close()
  })
  return found
}

function client (t: Test, redis: TestRedis): Redis {
  const connection = new Redis(redis.url)
  t.teardown(async () => { await connection.quit() })
  return connection
}

/** The first value read that satisfies ok, polled with until(). */
async function eventually<T> (what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const { value } = await until(async () => { const value = await read(); return ok(value) && { value } }, { timeoutMs, everyMs: 20, what })
  return value
}

const prefix = () => `cleave-test-${randomUUID()}:`

t.test('an announced instance resolves for each of its modules until it withdraws', async (t) => {
  const redis = await startRedis(t)
  const namespace = prefix()
  const a = discovery(t, redis, namespace)
  const reader = discovery(t, redis, namespace).resolver

  await a.announcer.announce('http://10.0.0.1:3000', ['users', 'hello'])
  t.same(await reader.instances('users'), ['http://10.0.0.1:3000'])
  t.same(await reader.instances('hello'), ['http://10.0.0.1:3000'])
  t.same(await reader.instances('billing'), [])

  await a.announcer.withdraw()
  t.same(await discovery(t, redis, namespace).resolver.instances('users'), [], 'gone at once, not after the TTL')
  t.same(await client(t, redis).keys(`${namespace}*`), [], 'no key left behind')
  t.same(await eventually('hello gone from the cached list', () => reader.instances('hello'), (urls) => urls.length === 0), [], 'a cached list follows within the cache time')
})

t.test('every live instance of a module is returned', async (t) => {
  const redis = await startRedis(t)
  const namespace = prefix()
  await discovery(t, redis, namespace).announcer.announce('http://b:3000', ['users', 'hello'])
  await discovery(t, redis, namespace).announcer.announce('http://a:3000', ['users'])
  const { resolver } = discovery(t, redis, namespace)
  t.same(await resolver.instances('users'), ['http://a:3000', 'http://b:3000'])
  t.same(await resolver.instances('hello'), ['http://b:3000'])
})

t.test('a resolver that is never used opens nothing and closes with the app', async (t) => {
  const redis = await startRedis(t)
  // hello neither calls other modules nor handles events: nothing here has a reason to connect.
  const app = await buildTestApp(t, { modules: ['hello'], env: { DISCOVERY: 'redis', REDIS_URL: redis.url, REDIS_PREFIX: prefix() } })
  await app.ready()
  // Connections are named; the events side may connect (the queue dashboard), discovery must not.
  const info = await client(t, redis).client('LIST') as string
  t.notMatch(info, /name=cleave-discovery/, 'no discovery connection')
})

t.test('while Redis is down the last list is served; both sides recover when it is back', async (t) => {
  const redis = await startRedis(t)
  const namespace = prefix()
  const readerLog = recorder()
  const announcerLog = recorder()
  await discovery(t, redis, namespace, announcerLog.log).announcer.announce('http://a:3000', ['users'])
  const reader = discovery(t, redis, namespace, readerLog.log).resolver
  t.same(await reader.instances('users'), ['http://a:3000'])

  await redis.stop()
  for (let i = 0; i < 3; i++) {
    await sleep(CACHE_MS + 10)
    t.same(await reader.instances('users'), ['http://a:3000'], 'the last known list')
  }
  t.same(await discovery(t, redis, namespace).resolver.instances('users'), [], 'nothing known yet: empty, no error')
  await discovery(t, redis, namespace, announcerLog.log).announcer.announce('http://b:3000', ['users'])
  t.equal(readerLog.lines.filter((line) => line.level === 'warn').length, 1, 'the outage is logged once')

  // The restarted Redis is empty: both announcers must register again on their own.
  await redis.start()
  const urls = await eventually('both users instances registered again', () => reader.instances('users'), (found) => found.length === 2)
  t.same(urls, ['http://a:3000', 'http://b:3000'])
  t.ok(readerLog.lines.some((line) => line.level === 'info' && /works again/.test(line.msg)), 'the recovery is logged')
  t.ok(announcerLog.lines.some((line) => line.level === 'warn'), 'the announcer logged the outage')
})

t.test('a server process registers for its modules and withdraws on SIGTERM', async (t) => {
  const redis = await startRedis(t)
  const namespace = prefix()
  const server = await startProcess(t, 'server', {
    MODULES: 'users', DISCOVERY: 'redis', REDIS_URL: redis.url, REDIS_PREFIX: namespace, DATA_DIR: tempDir(t)
  })
  const redisClient = client(t, redis)
  const members = () => redisClient.zrange(`${namespace}instances:users`, '0', '-1')
  const registered = await eventually('the server registered', members, (found) => found.length > 0)
  t.equal(registered.length, 1)
  t.match(registered[0], new RegExp(` ${server.url}$`), 'member is "<id> <url>"')
  t.same(await discovery(t, redis, namespace).resolver.instances('users'), [server.url])

  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0)
  t.same(await members(), [], 'withdrawn at once (the TTL is 5 s)')
})

t.test('a server that stops heartbeating (SIGKILL) is dropped after its TTL', async (t) => {
  const redis = await startRedis(t)
  const namespace = prefix()
  const server = await startProcess(t, 'server', {
    MODULES: 'users', DISCOVERY: 'redis', REDIS_URL: redis.url, REDIS_PREFIX: namespace, DATA_DIR: tempDir(t), DISCOVERY_TTL_MS: String(TTL)
  })
  const { resolver } = discovery(t, redis, namespace)
  const users = () => resolver.instances('users')
  t.same(await eventually('the server registered', users, (urls) => urls.length > 0), [server.url])
  await sleep(TTL * 2)
  t.same(await users(), [server.url], 'heartbeats keep it registered past its TTL')

  server.child.kill('SIGKILL')
  await server.exited
  t.same(await eventually('the server dropped after its TTL', users, (urls) => urls.length === 0, TTL * 5), [] as string[])
})
