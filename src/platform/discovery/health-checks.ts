// Active health checks: every instance of the modules this process reaches over HTTP gets a
// GET /health/live each interval, so a process that hangs (a GC stall, a deadlock, SIGSTOP, a
// network that drops packets) is out of rotation within seconds and no request pays to find out.
// Any answer below 500 in time passes: the process runs (a service in another language need not
// serve that route). Results go to the one rotation, instance-health.ts.
import { performance } from 'node:perf_hooks'
import type { Agent } from 'undici'
import type { Resolver } from './discovery.js'
import type { InstanceHealth } from './instance-health.js'

export interface HealthCheckSettings {
  /** 0: no health checks. */
  intervalMs: number
  timeoutMs: number
  /** Failed probes in a row that take an instance out. */
  failures: number
  /** Static discovery: a lone URL may name several replicas (loneUrlFactor). */
  staticUrls: boolean
}

// A lone static URL may name a Kubernetes Service or a DNS name with several replicas behind it:
// with one of two pods hung, each probe lands on it by chance, and a short run of failures would
// soon take the whole module out. A run three times as long outlasts the readiness probe that
// removes the hung pod from its Service (about 4 s in deploy/k8s); a lone process that hangs is
// still out within seconds.
const loneUrlFactor = 3

export interface HealthChecks {
  /** Checks the instances of these modules from now on (called by the gateway and the clients). */
  watch (targets: Iterable<string>): void
  close (): Promise<void>
}

export function createHealthChecks (options: {
  resolver: Resolver
  health: InstanceHealth
  settings: HealthCheckSettings
  /** cleave_health_checks_total. */
  probes: { labels (target: string, outcome: string): { inc (): void } }
}): HealthChecks {
  const { resolver, health, settings, probes } = options
  const targets = new Set<string>()
  // One probe at a time per instance: a hung one is not sent a second while the first waits.
  const probing = new Set<string>()
  let timer: NodeJS.Timeout | undefined
  let agent: Promise<Agent> | undefined
  let closed = false

  // undici is loaded with the first probe, as the clients load it with their first remote call.
  // Its own pool: a probe never waits behind calls for a connection.
  const dispatcher = () => (agent ??= import('undici').then(({ Agent }) => new Agent({ connections: 1, keepAliveTimeout: 2 * settings.intervalMs })))

  /** Whether the instance passed; undefined when this process was too busy to tell. */
  async function passes (instance: string): Promise<boolean | undefined> {
    const controller = new AbortController()
    const started = performance.now()
    let late = false
    // Timers run before I/O: a deadline that fires well past its time means this process's event
    // loop was blocked, and the answer may be waiting unread. That says nothing of the instance.
    const deadline = setTimeout(() => {
      late = performance.now() - started > 1.5 * settings.timeoutMs
      controller.abort()
    }, settings.timeoutMs)
    try {
      const { statusCode, body } = await (await dispatcher()).request({ origin: instance, path: '/health/live', method: 'GET', signal: controller.signal })
      await body.dump()
      return statusCode < 500
    } catch {
      return late ? undefined : false
    } finally {
      clearTimeout(deadline)
    }
  }

  async function probe (target: string, instance: string, needed: number) {
    probing.add(instance)
    try {
      const passed = await passes(instance)
      if (closed || passed === undefined) return
      probes.labels(target, passed ? 'pass' : 'fail').inc()
      health.checked(target, instance, passed, needed)
    } finally {
      probing.delete(instance)
    }
  }

  async function round () {
    for (const target of targets) {
      const instances = await resolver.instances(target)
      if (closed) return
      health.retain(target, instances)
      const needed = settings.staticUrls && instances.length === 1 ? loneUrlFactor * settings.failures : settings.failures
      for (const instance of instances) {
        if (!probing.has(instance)) void probe(target, instance, needed)
      }
    }
  }

  return {
    watch (more) {
      for (const target of more) targets.add(target)
      if (timer || closed || settings.intervalMs === 0 || targets.size === 0) return
      // Resolving never throws (a resolver serves what it last knew); a probe catches its own failures.
      timer = setInterval(() => { void round() }, settings.intervalMs)
      timer.unref()
    },
    async close () {
      closed = true
      clearInterval(timer)
      if (agent) await (await agent).destroy()
    }
  }
}
