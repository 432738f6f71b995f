import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { FastifyBaseLogger } from 'fastify'
import type { Announcer, Resolver } from './discovery.js'
import { closeRedis, createRedis } from '../redis/connection.js'

// Instances registered in Redis. One sorted set per module, `${prefix}instances:${module}`;
// a member is "<instance id> <url>" and its score the time (ms) the registration expires.
// The id keeps two processes that advertise the same URL (a quick restart) apart.
// Times come from the Redis server's clock (TIME inside the scripts), so hosts' clocks may
// disagree without an instance being dropped early or kept too long.

const SERVER_NOW = `local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
`
// KEYS: the modules' sets; ARGV: member, ttl in ms.
const HEARTBEAT = `${SERVER_NOW}for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  redis.call('ZADD', key, now + tonumber(ARGV[2]), ARGV[1])
end`
// KEYS[1]: the module's set; returns the live members.
const LIVE = `${SERVER_NOW}redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)`

type Log = Pick<FastifyBaseLogger, 'debug' | 'info' | 'warn'>

export interface RedisDiscoveryOptions {
  /** A redis:// URL. */
  redis: string
  prefix: string
  ttlMs: number
  log: Log
}

// Commands fail at once while Redis is unreachable (the discovery role: no offline queue) instead
// of waiting for it: the resolver then serves what it last saw and the announcer tries again on
// its next beat. No wait is longer than a beat.
function connection ({ redis, ttlMs, log }: RedisDiscoveryOptions): Redis {
  return createRedis(redis, { role: 'discovery', log, timeouts: { connectMs: ttlMs, commandMs: Math.min(1000, ttlMs / 3), maxRetryDelayMs: ttlMs / 3 } })
}

// Logs the first failure of a run of failures, and the recovery after it.
function outageLog (log: Log, what: string) {
  let down = false
  return {
    failed (err: unknown) {
      if (!down) log.warn({ err }, `discovery: ${what} failed, Redis unreachable; will keep trying`)
      down = true
    },
    succeeded () {
      if (down) log.info(`discovery: ${what} works again`)
      down = false
    }
  }
}

export function createRedisResolver (options: RedisDiscoveryOptions): Resolver {
  const client = connection(options)
  let connected: Promise<void> | undefined
  const cacheMs = Math.min(1000, options.ttlMs / 5)
  const known = new Map<string, { urls: string[], until: number }>()
  const pending = new Map<string, Promise<string[]>>()
  const outage = outageLog(options.log, 'resolving instances')

  async function lookup (module: string): Promise<string[]> {
    // The first lookup waits for the connection; later ones fail fast while it is down.
    await (connected ??= client.connect().catch(() => {}))
    try {
      const members = await client.eval(LIVE, 1, `${options.prefix}instances:${module}`) as string[]
      const urls = [...new Set(members.map((member) => member.slice(member.indexOf(' ') + 1)))].sort()
      known.set(module, { urls, until: Date.now() + cacheMs })
      outage.succeeded()
      return urls
    } catch (err) {
      outage.failed(err)
      const last = known.get(module)?.urls ?? []
      known.set(module, { urls: last, until: Date.now() + cacheMs })
      return last
    } finally {
      pending.delete(module)
    }
  }

  return {
    async instances (module) {
      const cached = known.get(module)
      if (cached && Date.now() < cached.until) return cached.urls
      let request = pending.get(module)
      if (!request) pending.set(module, request = lookup(module))
      return request
    },
    async close () {
      connected ??= Promise.resolve() // a lookup after close must not reconnect
      await closeRedis(client)
    }
  }
}

interface Registration { client: Redis, keys: string[], member: string, timer?: NodeJS.Timeout, beating: Promise<void> }

export function createRedisAnnouncer (options: RedisDiscoveryOptions): Announcer {
  const { prefix, ttlMs, log } = options
  const outage = outageLog(log, 'announcing this instance')
  let running: Registration | undefined

  async function beat () {
    const current = running
    if (!current) return
    clearTimeout(current.timer)
    try {
      await current.client.eval(HEARTBEAT, current.keys.length, ...current.keys, current.member, ttlMs)
      outage.succeeded()
    } catch (err) {
      outage.failed(err)
    }
    clearTimeout(current.timer)
    if (running === current) current.timer = setTimeout(() => { current.beating = beat() }, ttlMs / 3)
  }

  async function withdraw () {
    const current = running
    if (!current) return
    running = undefined
    clearTimeout(current.timer)
    await current.beating
    try {
      await Promise.all(current.keys.map((key) => current.client.zrem(key, current.member)))
    } catch (err) {
      log.warn({ err }, 'discovery: could not withdraw from Redis; the registration expires on its own')
    }
    await closeRedis(current.client)
  }

  async function announce (url: string, modules: string[]) {
    await withdraw()
    const id = randomUUID()
    const current: Registration = { client: connection(options), keys: modules.map((module) => `${prefix}instances:${module}`), member: `${id} ${url}`, beating: Promise.resolve() }
    running = current
    log.info({ id, url, modules }, 'discovery: announcing this instance in Redis')
    // Every (re)connection beats at once, so after an outage we are back without waiting for the timer.
    current.client.on('ready', () => { current.beating = beat() })
    await current.client.connect().catch(() => {})
    await current.beating
  }

  return { announce, withdraw }
}

export function createRedisDiscovery (options: RedisDiscoveryOptions): { resolver: Resolver, announcer: Announcer } {
  return { resolver: createRedisResolver(options), announcer: createRedisAnnouncer(options) }
}
