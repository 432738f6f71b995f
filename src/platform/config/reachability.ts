import type { EventRoute, ModuleGraph } from '../primitives/module-graph.js'
import type { Config } from './config.js'
import { serviceUrlKey } from './module-keys.js'

/** What one process mounts, and how it can reach what it does not. */
export interface ProcessReach {
  modules: readonly string[]
  discovery: 'static' | 'redis'
  /** Modules it has a SERVICE_<MODULE>_URL for. */
  services: readonly string[]
  redis: boolean
  amqp: boolean
}

/** What a process with this config reaches, mounting `modules`. */
export function reachOf (config: Config, modules = config.modules): ProcessReach {
  return { modules, discovery: config.DISCOVERY, services: Object.keys(config.services), redis: config.REDIS_URL !== undefined, amqp: config.AMQP_URL !== undefined }
}

// A process that cannot reach a module its modules call, or the publisher of events they handle,
// would start and then fail per request or wait for events forever: one line each, naming the
// module that needs it and the setting to set.
export function unreachable (graph: ModuleGraph, reach: ProcessReach): string[] {
  const mounted = new Set(reach.modules)
  const problems: string[] = []
  for (const module of reach.modules) {
    for (const target of graph.calls[module] ?? []) {
      if (mounted.has(target) || reach.discovery === 'redis' || reach.services.includes(target)) continue
      const key = serviceUrlKey(target)
      problems.push(graph.external.includes(target)
        ? `${key}: ${module} calls ${target}, which runs outside Cleave: set ${key} (or DISCOVERY=redis)`
        : `${key}: ${module} calls ${target}, which this process does not mount: set ${key} (or DISCOVERY=redis), or add ${target} to MODULES`)
    }
    const handled = graph.events.filter((event) => event.subscribers.includes(module))
    const fromCleave = handled.filter((event) => !graph.external.includes(event.publisher))
    // Without Redis, events published elsewhere never arrive: a module none of whose events can
    // would wait forever. (Which process publishes what is for check:deploy to say.)
    const arrives = (event: EventRoute) => mounted.has(event.publisher) || (graph.external.includes(event.publisher) ? reach.amqp : reach.redis)
    if (fromCleave.length > 0 && !handled.some(arrives)) {
      const publishers = [...new Set(fromCleave.map((event) => event.publisher))]
      problems.push(`REDIS_URL: ${module} handles ${fromCleave.map((event) => event.name).join(', ')}, published by ${publishers.join(', ')}, which this process does not mount: set REDIS_URL, or add ${publishers.join(' or ')} to MODULES`)
    }
    // An external module's events come through RabbitMQ, where the deployment includes it.
    for (const event of handled.filter((event) => graph.external.includes(event.publisher))) {
      if (!reach.amqp && reach.services.includes(event.publisher)) problems.push(`AMQP_URL: ${module} handles ${event.name}, published by ${event.publisher}, which runs outside Cleave and publishes to RabbitMQ: set AMQP_URL`)
    }
  }
  return problems
}
