// Which instances take turns, for every caller in this process (the gateway and the clients), from
// two sources. Passive health, as nginx (max_fails, fail_timeout) and Envoy (outlier detection)
// keep it: an instance that accepted no connection is ejected for a period that doubles each time
// it is ejected again without having answered in between; once the period is over the first
// request that reaches it is its trial. Health checks (health-checks.ts), as Envoy's and HAProxy's
// active checks: an instance that fails its probes in a row is out of rotation, never tried, until
// a probe passes; this is what notices a process that hangs rather than refuses. Discovery alone
// cannot do either: a static list never changes, and a registration outlives a process by its TTL.
import type { FastifyBaseLogger } from 'fastify'
import type { InstanceReport } from './health-section.js'
import { backoffDelay } from '../primitives/backoff.js'

// Short first, since repeating a refused connection costs a millisecond and a restarted instance
// should soon have its share again; doubling then keeps a dead one to one refusal per period,
// while one that comes back waits at most about as long as it was gone.
// Constants rather than settings until a deployment needs another trade-off.
/** First ejection; then twice as long each time, up to maxEjectionMs. */
export const baseEjectionMs = 1000
export const maxEjectionMs = 30_000
// An ejected instance not heard of for this long (gone from discovery, most likely) is forgotten;
// health-check state is forgotten by retain(), each round of checks.
const forgetAfterMs = 10 * maxEjectionMs

interface Ejection {
  until: number
  /** Ejections in a row without an answer between them. */
  times: number
}

interface Checks {
  target: string
  /** Probes failed in a row. */
  failed: number
  out: boolean
}

export interface InstanceHealth {
  /** No connection to the instance could be made (retry-policy.ts neverConnected). */
  refused (target: string, instance: string): void
  /** The instance answered, whatever the status: it takes its turn again. */
  answered (instance: string): void
  /** A health-check probe's outcome; `failures` in a row take the instance out of rotation. */
  checked (target: string, instance: string, passed: boolean, failures: number): void
  /** Forgets the health-check state of the target's instances discovery no longer lists. */
  retain (target: string, instances: string[]): void
  /** Ejected now for refusing: pass over it while another instance is admitted, else try it. */
  ejected (instance: string): boolean
  /** The instances in rotation: without those failing their health checks (the same array when none is). */
  inRotation (instances: string[]): string[]
  /** Every instance ejected, awaiting its trial or out of rotation, for GET /health. */
  report (): Record<string, InstanceReport>
}

export function createInstanceHealth (options: {
  log: Pick<FastifyBaseLogger, 'info' | 'warn'>
  /** cleave_target_connect_failures_total, counted on each refusal. */
  failures: { labels (target: string): { inc (): void } }
}): InstanceHealth {
  const { log, failures } = options
  const ejections = new Map<string, Ejection>()
  const checks = new Map<string, Checks>()
  let outCount = 0

  function forgetStale (now: number) {
    for (const [instance, ejection] of ejections) {
      if (now - ejection.until > forgetAfterMs) ejections.delete(instance)
    }
  }

  function forgetChecks (instance: string, state: Checks) {
    checks.delete(instance)
    if (state.out) outCount--
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
      const forMs = backoffDelay(times - 1, { baseMs: baseEjectionMs, maxMs: maxEjectionMs })
      ejections.set(instance, { until: now + forMs, times })
      log.warn({ target, instance, forMs, ejections: times }, `instance ${instance} accepts no connection: passed over for ${forMs} ms`)
    },
    answered (instance) {
      // The common case, on every answer: nothing is ejected, and this is one comparison.
      if (ejections.size === 0 || !ejections.delete(instance)) return
      log.info({ instance }, `instance ${instance} answers again: back in turn`)
    },
    checked (target, instance, passed, needed) {
      const state = checks.get(instance)
      if (passed) {
        // A process that answers its probe accepts connections too: any ejection ends.
        const wasEjected = ejections.delete(instance)
        if (state) forgetChecks(instance, state)
        if (state?.out === true || wasEjected) log.info({ target, instance }, `instance ${instance} passes its health check again: back in rotation`)
        return
      }
      const next = state ?? { target, failed: 0, out: false }
      next.failed++
      checks.set(instance, next)
      if (next.out || next.failed < needed) return
      next.out = true
      outCount++
      log.warn({ target, instance, failedChecks: next.failed }, `instance ${instance} failed ${next.failed} health checks in a row: out of rotation until it passes one`)
    },
    retain (target, instances) {
      if (checks.size === 0) return
      for (const [instance, state] of checks) {
        if (state.target === target && !instances.includes(instance)) forgetChecks(instance, state)
      }
    },
    ejected (instance) {
      if (ejections.size === 0) return false
      const ejection = ejections.get(instance)
      return ejection !== undefined && Date.now() < ejection.until
    },
    inRotation (instances) {
      if (outCount === 0) return instances
      return instances.filter((instance) => checks.get(instance)?.out !== true)
    },
    report () {
      const now = Date.now()
      forgetStale(now)
      const report: Record<string, InstanceReport> = {}
      for (const [instance, { until, times }] of ejections) report[instance] = { reason: 'refused', forMs: Math.max(0, until - now), ejections: times }
      for (const [instance, { out, failed }] of checks) if (out) report[instance] = { reason: 'health check', failedChecks: failed }
      return report
    }
  }
}
