// Active health checks: every instance of the modules this process reaches over HTTP gets a
// GET /health/live each interval, so a process that hangs (a GC stall, a deadlock, SIGSTOP, a
// network that drops packets) is out of rotation within seconds and no request pays to find out.
// Any answer below 500 in time passes: the process runs (a service in another language need not
// serve that route). Results go to the one rotation, instance-health.ts.
import type { Agent } from 'undici'
import type { Resolver } from './discovery.js'
import type { InstanceHealth } from './instance-health.js'

export interface HealthCheckSettings {
  /** 0: no health checks. */
  intervalMs: number
  timeoutMs: number
  /** Failed probes in a row that take an instance out. */
  failures: number
  /**
   * Static discovery: a lone URL may name a Kubernetes Service or a DNS name with several
   * replicas behind it, one hung pod failing some probes and passing others. It is taken out one
   * probe later, and only the orchestrator's readiness probe can remove the pod itself.
   */
  staticUrls: boolean
}

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

  async function passes (instance: string): Promise<boolean> {
    const controller = new AbortController()
    const deadline = setTimeout(() => { controller.abort() }, settings.timeoutMs)
    try {
      const { statusCode, body } = await (await dispatcher()).request({ origin: instance, path: '/health/live', method: 'GET', signal: controller.signal })
      await body.dump()
      return statusCode < 500
    } catch {
      return false
    } finally {
      clearTimeout(deadline)
    }
  }

  async function probe (target: string, instance: string, needed: number) {
    probing.add(instance)
    try {
      const passed = await passes(instance)
      if (closed) return
      probes.labels(target, passed ? 'pass' : 'fail').inc()
      health.checked(target, instance, passed, needed)
    } finally {
      probing.delete(instance)
    }
  }

  async function round () {
    for (const target of targets) {
      const instances = await resolver.instances(target)
      const needed = settings.staticUrls && instances.length === 1 ? settings.failures + 1 : settings.failures
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
