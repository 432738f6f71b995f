// Passive health, as nginx (max_fails, fail_timeout) and Envoy (outlier detection) keep it: an
// instance that accepted no connection is ejected, passed over by the instance choice of every
// caller in this process (the gateway and the clients), for a period that doubles each time it
// is ejected again without having answered in between. Once the period is over it is back in
// turn, and the first request that reaches it is its trial: an answer re-admits it for good, a
// refusal ejects it for longer. Discovery alone cannot do this: a static list never changes, and
// a registration outlives a killed process by up to its TTL.
import type { FastifyBaseLogger } from 'fastify'

// Short first, since repeating a refused connection costs a millisecond and a restarted instance
// should soon have its share again; doubling then keeps a dead one to one refusal per period,
// while one that comes back waits at most about as long as it was gone.
// Constants rather than settings until a deployment needs another trade-off.
/** First ejection; then twice as long each time, up to maxEjectionMs. */
export const baseEjectionMs = 1000
export const maxEjectionMs = 30_000
// An instance not heard of for this long (gone from discovery, most likely) is forgotten.
const forgetAfterMs = 10 * maxEjectionMs

interface Ejection {
  until: number
  /** Ejections in a row without an answer between them. */
  times: number
}

export interface EjectedInstance {
  /** Left of its ejection; 0: the next request that chooses it is its trial. */
  forMs: number
  ejections: number
}

export interface PassiveHealth {
  /** No connection to the instance could be made (retry-policy.ts neverConnected). */
  refused (target: string, instance: string): void
  /** The instance answered, whatever the status: it takes its turn again. */
  answered (instance: string): void
  /** Ejected now: pass over it while another instance is admitted. */
  ejected (instance: string): boolean
  /** Every instance ejected or awaiting its trial, for GET /health. */
  report (): Record<string, EjectedInstance>
}

export function createPassiveHealth (options: {
  log: Pick<FastifyBaseLogger, 'info' | 'warn'>
  /** cleave_target_connect_failures_total, counted on each refusal. */
  failures: { labels (target: string): { inc (): void } }
}): PassiveHealth {
  const { log, failures } = options
  const ejections = new Map<string, Ejection>()

  function forgetStale (now: number) {
    for (const [instance, ejection] of ejections) {
      if (now - ejection.until > forgetAfterMs) ejections.delete(instance)
    }
  }

  return {
    refused (target, instance) {
      failures.labels(target).inc()
      const now = Date.now()
      const current = ejections.get(instance)
      // Requests that chose it before the first refusal came back: one ejection, not several.
      if (current && now < current.until) return
      forgetStale(now)
      const times = (current?.times ?? 0) + 1
      const forMs = Math.min(maxEjectionMs, baseEjectionMs * 2 ** (times - 1))
      ejections.set(instance, { until: now + forMs, times })
      log.warn({ target, instance, forMs, ejections: times }, `instance ${instance} accepts no connection: passed over for ${forMs} ms`)
    },
    answered (instance) {
      // The common case, on every answer: nothing is ejected, and this is one comparison.
      if (ejections.size === 0 || !ejections.delete(instance)) return
      log.info({ instance }, `instance ${instance} answers again: back in turn`)
    },
    ejected (instance) {
      if (ejections.size === 0) return false
      const ejection = ejections.get(instance)
      return ejection !== undefined && Date.now() < ejection.until
    },
    report () {
      const now = Date.now()
      forgetStale(now)
      return Object.fromEntries([...ejections].map(([instance, { until, times }]) => [instance, { forMs: Math.max(0, until - now), ejections: times }]))
    }
  }
}
