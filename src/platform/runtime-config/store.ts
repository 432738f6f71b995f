// Where the fleet's runtime config lives: one Redis key plus a pub/sub channel, or (without
// Redis) this process's memory.
import type { FastifyBaseLogger } from 'fastify'
import type { RuntimeOverrides } from './schema.js'
import { closeRedis, createRedis } from '../redis/connection.js'

export interface StoredConfig {
  /** Grows by one with every accepted change; 0 means nothing was ever set. */
  version: number
  overrides: RuntimeOverrides
}

export interface RuntimeConfigStore {
  /** The stored document (version 0 when none). */
  load (): Promise<StoredConfig>
  /** Reads, lets change() build the next document (or throw), and writes it only if nobody wrote in between. */
  update (change: (current: StoredConfig) => StoredConfig): Promise<StoredConfig>
  /** Called with every document written by any process, and with the stored one after each reconnect. */
  watch (listener: (stored: StoredConfig, resync: boolean) => void): void
  close (): Promise<void>
}

export const emptyConfig: StoredConfig = { version: 0, overrides: {} }

export function createMemoryStore (): RuntimeConfigStore {
  let stored = emptyConfig
  const listeners: Array<(stored: StoredConfig, resync: boolean) => void> = []
  return {
    async load () { return stored },
    async update (change) {
      stored = change(stored)
      for (const listener of listeners) listener(stored, false)
      return stored
    },
    watch (listener) { listeners.push(listener) },
    async close () {}
  }
}

// Compare-and-set on the version, and the broadcast in the same step: a change is either
// stored and announced, or neither.
const COMPARE_AND_SET = `local current = redis.call('GET', KEYS[1])
local version = 0
if current then version = cjson.decode(current).version end
if version ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('PUBLISH', KEYS[1], ARGV[2])
return 1`

function decode (text: string | null): StoredConfig {
  if (text === null) return emptyConfig
  const parsed = JSON.parse(text) as StoredConfig
  return { version: Number(parsed.version) || 0, overrides: parsed.overrides ?? {} }
}

export class ConcurrentChanges extends Error {}

export function createRedisStore ({ url, prefix, log }: { url: string, prefix: string, log: FastifyBaseLogger }): RuntimeConfigStore {
  // The key doubles as the channel name (channels and keys do not share a namespace).
  const key = `${prefix}runtime-config`
  // Commands wait for a connection only briefly: a start-up without Redis goes on with the
  // environment's values, and a change while Redis is down is refused rather than left hanging.
  const commands = createRedis(url, { role: 'runtime-config', log })
  // A subscriber connection cannot run other commands; its SUBSCRIBE waits for Redis however long.
  const subscriber = createRedis(url, { role: 'runtime-config-subscriber', log })
  let closed = false
  let retry: NodeJS.Timeout | undefined

  async function load () {
    return decode(await commands.get(key))
  }

  return {
    load,
    async update (change) {
      for (let attempt = 0; attempt < 10; attempt++) {
        const current = await load()
        const next = change(current)
        const written = await commands.eval(COMPARE_AND_SET, 1, key, current.version, JSON.stringify(next))
        if (written === 1) return next
      }
      throw new ConcurrentChanges('the runtime config kept changing under this update')
    },
    watch (listener) {
      // Messages sent while this process was cut off are lost, so every (re)connect reads the
      // key — once the subscription is confirmed, so no change can fall between the two.
      const resync = () => {
        clearTimeout(retry)
        subscriber.subscribe(key).then(load).then((stored) => listener(stored, true), (err) => {
          log.debug({ err }, 'runtime config: resync failed, trying again')
          if (!closed) retry = setTimeout(resync, 500)
        })
      }
      subscriber.on('ready', resync)
      subscriber.on('message', (channel, message) => {
        if (channel !== key) return
        try {
          listener(decode(message), false)
        } catch (err) {
          log.warn({ err }, 'runtime config: unreadable change message ignored')
        }
      })
      subscriber.subscribe(key).catch((err) => log.debug({ err }, 'runtime config: subscribe failed'))
    },
    async close () {
      closed = true
      clearTimeout(retry)
      await Promise.all([commands, subscriber].map(closeRedis))
    }
  }
}
