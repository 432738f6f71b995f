import t from 'tap'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { queueName } from '../../../src/platform/events/event.js'
import { redisConnectionName, redisRoles } from '../../../src/platform/redis/connection.js'
import { buildTestApp } from '../../helpers/app.js'
import { startRedis } from '../../helpers/redis.js'

const inspector = 'test-inspector'

// CLIENT LIST on a private Redis: one line per connection, `name=` empty when it was never named.
async function connectionNames (redis: Redis): Promise<string[]> {
  const list = await redis.client('LIST') as string
  return list.trim().split('\n').map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '').filter((name) => name !== inspector).sort()
}

async function until (read: () => Promise<string[]>, ok: (names: string[]) => boolean, ms = 5000): Promise<string[]> {
  for (const deadline = Date.now() + ms; ;) {
    const names = await read()
    if (ok(names) || Date.now() > deadline) return names
    await sleep(20)
  }
}

const madeByTheFactory = new RegExp(`^(${redisRoles.map((role) => redisConnectionName(role)).join('|')})(-[a-z0-9-]+)?$`)

// Every use of Redis at once: events (tasks publishes and handles), discovery, runtime config, rate limit.
t.test('every Redis connection is named after its role, and app.close leaves none open', async (t) => {
  const redis = await startRedis(t)
  const client = new Redis(redis.url, { connectionName: inspector })
  t.teardown(() => client.quit())
  const prefix = `cleave-test-${randomUUID()}`
  const app = await buildTestApp(t, {
    modules: ['tasks'],
    env: { REDIS_URL: redis.url, REDIS_PREFIX: `${prefix}:`, DISCOVERY: 'redis', RATE_LIMIT_MAX: '1000' }
  })
  await app.ready()
  // The lazily connected ones connect on first use.
  t.equal((await app.inject(`/tasks/${randomUUID()}`)).statusCode, 404, 'a limited request')
  await app.discovery.resolver.instances('users')
  await app.discovery.announcer.announce('http://127.0.0.1:9', ['tasks'])

  // A BullMQ worker duplicates its connection (same options) for blocking reads and names that
  // copy its own way, <prefix>:<base64 of the queue name>, which its getWorkers() looks for.
  const blocking = `${prefix}:${Buffer.from(queueName('tasks')).toString('base64')}`
  const expected = ['cleave-discovery', 'cleave-discovery', 'cleave-events-producer', 'cleave-events-worker-tasks', 'cleave-rate-limit', 'cleave-runtime-config', 'cleave-runtime-config-subscriber', blocking].sort()
  const open = await until(() => connectionNames(client), (names) => names.length >= expected.length)
  t.same(open, expected, 'one connection per use, each named after its role')
  t.same(open.filter((name) => name !== blocking && !madeByTheFactory.test(name)), [], 'none made outside the factory')

  await app.close()
  t.same(await until(() => connectionNames(client), (names) => names.length === 0, 2000), [], 'app.close closes every connection')
})
