// Which Redis data set events go into. A Redis that restarts empty forgets its jobs and this
// key alike, so the first relay to reach it claims a new random epoch; an outbox row marked
// sent into another epoch was sent into a Redis that is gone.
import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'

// One round trip, and two relays reaching an empty Redis at once agree on the winner's value.
const claimScript = "redis.call('SET', KEYS[1], ARGV[1], 'NX') return redis.call('GET', KEYS[1])"

export interface RedisEpoch {
  /** The epoch of the Redis connected now: claimed or read on each (re)connect, not per batch. */
  current (): Promise<string>
  /**
   * Whether the Redis answering now still holds `epoch`. Asked after a delivery was
   * acknowledged: epochs are never reused, so yes means the jobs are in that same data set.
   */
  holds (epoch: string): Promise<boolean>
  /** Called with each epoch that differs from the last one known (the first one included). */
  onChange (listener: (epoch: string) => void): void
  /** The last epoch known, without a round trip (undefined before the first connection). */
  latest (): string | undefined
}

export function createRedisEpoch (client: Redis, key: string, log: FastifyBaseLogger): RedisEpoch {
  const listeners: Array<(epoch: string) => void> = []
  let latest: string | undefined
  let claimed: Promise<string> | undefined
  let failed = false

  async function claim (): Promise<string> {
    const epoch = String(await client.eval(claimScript, 1, key, randomUUID()))
    if (epoch !== latest) {
      if (latest) log.warn({ previous: latest, epoch }, 'events: this Redis is not the one events were delivered to (it lost its data); events sent into the old one are delivered again')
      latest = epoch
      // Before current() resolves: relays learn of the new epoch before any delivery into it.
      for (const listener of listeners) listener(epoch)
    }
    return epoch
  }

  function reclaim (): Promise<string> {
    failed = false
    claimed = claim()
    claimed.catch(() => { failed = true })
    return claimed
  }

  // 'ready' comes on every connection, the first and each reconnect: a restarted Redis is a reconnect.
  client.on('ready', () => { reclaim().catch(() => {}) })

  return {
    current: () => (claimed && !failed ? claimed : reclaim()),
    async holds (epoch) {
      const now = await client.get(key)
      if (now === epoch) return true
      // Changed without a reconnect (a proxy in front of it, a FLUSHALL): learn the new one now.
      reclaim().catch(() => {})
      return false
    },
    onChange (listener) { listeners.push(listener) },
    latest: () => latest
  }
}
