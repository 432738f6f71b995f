// Every Redis connection Cleave opens is made here: named after its role, with the options that
// role needs, and closed by closeRedis. A connection made elsewhere is a defect
// (test/platform/redis/redis-connections.test.ts finds it by its name in CLIENT LIST).
import { createRequire } from 'node:module'
import type { Redis, RedisOptions } from 'ioredis'
import type { FastifyBaseLogger } from 'fastify'

// What each kind of use needs while Redis is down, and why.
const roles = {
  // BullMQ queues: a command fails at once (no offline queue), so the relay leaves the events in
  // the outbox and tries again, instead of holding them in memory. Connected on first use.
  'events-producer': { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 },
  // A BullMQ worker's connection blocks and must wait for Redis however long (BullMQ's advice).
  'events-worker': { maxRetriesPerRequest: null },
  // Fails at once: the resolver serves the last list it saw, the announcer beats again later.
  discovery: { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 },
  // Waits briefly: a start-up without Redis goes on with the environment's values, and a change
  // while Redis is down is refused rather than left hanging.
  'runtime-config': { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 1000, commandTimeout: 1000 },
  // Only SUBSCRIBE: sent while Redis is down, it waits for it; ioredis subscribes again after a reconnect.
  'runtime-config-subscriber': { lazyConnect: true, maxRetriesPerRequest: null },
  // Counters: fail fast and the request goes through (the limiter skips on error).
  'rate-limit': { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 1000, commandTimeout: 500 }
} satisfies Record<string, RedisOptions>

export type RedisRole = keyof typeof roles

export const redisRoles = Object.keys(roles) as RedisRole[]

export interface RedisConnectionOptions {
  role: RedisRole
  /** Tells connections of one role apart: `cleave-<role>-<name>` (a worker's module). */
  name?: string
  log: Pick<FastifyBaseLogger, 'debug'>
  /** Replace the role's waits (discovery derives them from its TTL). */
  timeouts?: { connectMs?: number, commandMs?: number, maxRetryDelayMs?: number }
}

/** The longest pause between two reconnection attempts (a role's timeouts may make it shorter). */
const maxRetryDelayMs = 1000

export function redisConnectionName (role: RedisRole, name?: string): string {
  return name ? `cleave-${role}-${name}` : `cleave-${role}`
}

// One reconnection policy for every role: 50 ms more per attempt, up to maxRetryDelayMs.
// ioredis (CommonJS) is loaded with the first connection: a process without Redis never needs it.
let redisClass: typeof Redis | undefined
function loadRedis (): typeof Redis {
  redisClass ??= (createRequire(import.meta.url)('ioredis') as typeof import('ioredis')).Redis
  return redisClass
}

export function createRedis (url: string, { role, name, log, timeouts = {} }: RedisConnectionOptions): Redis {
  const connectionName = redisConnectionName(role, name)
  const retryCap = Math.min(timeouts.maxRetryDelayMs ?? maxRetryDelayMs, maxRetryDelayMs)
  const client = new (loadRedis())(url, {
    ...roles[role],
    ...(timeouts.connectMs !== undefined && { connectTimeout: timeouts.connectMs }),
    ...(timeouts.commandMs !== undefined && { commandTimeout: timeouts.commandMs }),
    connectionName,
    retryStrategy: (attempt) => Math.min(attempt * 50, retryCap)
  })
  // Outages are reported by each user of the connection, once; ioredis repeats this per attempt.
  client.on('error', (err) => log.debug({ err, connection: connectionName }, 'redis connection error'))
  return client
}

// QUIT when connected, so replies still due arrive first; a client that is connecting or
// reconnecting is cut at once: a QUIT queued behind a reconnect could wait for ever.
export async function closeRedis (client: Redis): Promise<void> {
  if (client.status !== 'ready') return client.disconnect()
  await client.quit().catch(() => client.disconnect())
}
