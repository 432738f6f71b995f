import { resolveModules } from '../../src/platform/config/config.js'
import { databaseUrlKey, serviceUrlKey } from '../../src/platform/config/module-keys.js'
import { unreachable } from '../../src/platform/config/reachability.js'
import { everyModule, type ModuleGraph } from '../../src/platform/primitives/module-graph.js'
import type { Deployment, DeployedProcess } from './deployment.js'

interface Placed extends DeployedProcess {
  /** The modules it mounts (a server or worker) or routes (the gateway). */
  modules: string[]
  /** The modules it has a SERVICE_<MODULE>_URL for. */
  services: string[]
}

// What a deployment must give its processes, beyond what each process checks at its own start:
// the same start-up check for each, then what only the whole deployment shows (where events go,
// what the gateway routes, where each URL leads). One line per gap: where, the setting, why.
export function deploymentProblems (graph: ModuleGraph, { source, processes }: Deployment): string[] {
  const problems: string[] = []
  const say = (process: DeployedProcess, problem: string) => problems.push(`${source}: ${process.name}: ${problem}`)
  const placed = processes.map((process) => place(graph, process, (problem) => say(process, problem)))
  const running = placed.filter((process) => process.role !== 'gateway')

  for (const process of running) {
    const { env, modules, services } = process
    const reach = { modules, discovery: env.DISCOVERY === 'redis' ? 'redis' as const : 'static' as const, services, redis: Boolean(env.REDIS_URL), amqp: Boolean(env.AMQP_URL) }
    for (const problem of unreachable(graph, reach)) say(process, problem)
    if (process.role === 'worker' && !env.REDIS_URL) say(process, 'REDIS_URL: a worker consumes the event queues in Redis: set REDIS_URL')
  }

  // An event crosses processes through Redis: its publisher's process and each handling one need it.
  for (const { name, publisher, subscribers } of graph.events) {
    const publishing = running.filter((process) => process.role === 'server' && process.modules.includes(publisher))
    for (const subscriber of subscribers) {
      const handling = running.filter((process) => process.modules.includes(subscriber) && (process.role === 'worker' || process.env.WORKERS !== 'false'))
      for (const handler of handling.filter((process) => !process.modules.includes(publisher))) {
        for (const from of publishing.filter((process) => !process.env.REDIS_URL)) say(from, `REDIS_URL: ${publisher} publishes ${name}, which ${subscriber} handles in ${handler.name}: set REDIS_URL`)
        if (publishing.length > 0 && !handler.env.REDIS_URL) say(handler, `REDIS_URL: ${subscriber} handles ${name}, published by ${publisher} in ${publishing[0].name}: set REDIS_URL`)
      }
    }
  }

  // The gateway routes the modules of its MODULES the deployment runs, and every external module
  // the deployment names.
  const mounted = new Set(running.flatMap((process) => process.modules))
  const named = graph.external.filter((module) => placed.some((process) => process.services.includes(module)))
  for (const gateway of placed.filter((process) => process.role === 'gateway')) {
    const routed = [...gateway.modules.filter((module) => mounted.has(module)), ...named]
    for (const module of routed.filter((module) => !gateway.services.includes(module) && gateway.env.DISCOVERY !== 'redis')) {
      say(gateway, `${serviceUrlKey(module)}: the gateway routes ${module}${mounted.has(module) ? '' : ', an external module this deployment names'}: set ${serviceUrlKey(module)} (or DISCOVERY=redis)`)
    }
  }

  // A URL to a host of this deployment must lead to a process that mounts the module.
  const servers = running.filter((process) => process.role === 'server')
  for (const process of placed) {
    for (const module of process.services) {
      for (const url of process.env[serviceUrlKey(module)].split(',').map((item) => item.trim()).filter(Boolean)) {
        const host = hostOf(url)
        const reached = processes.filter((other) => other.hosts.includes(host))
        if (reached.length === 0 && !graph.external.includes(module)) say(process, `${serviceUrlKey(module)}: ${url} leads to no ${nameOfProcesses(source)} of this deployment`)
        else if (reached.length > 0 && !servers.some((server) => server.hosts.includes(host) && server.modules.includes(module))) say(process, `${serviceUrlKey(module)}: ${url} leads to ${reached.map((other) => other.name).join(', ')}, which does not mount ${module}`)
      }
    }
  }
  return [...new Set(problems)]
}

function place (graph: ModuleGraph, process: DeployedProcess, say: (problem: string) => void): Placed {
  const every = everyModule(graph)
  const services = every.filter((module) => process.env[serviceUrlKey(module)])
  for (const key of Object.keys(process.env)) {
    const service = /^SERVICE_(.+)_URL$/.exec(key)
    const database = /^(.+)_DATABASE_URL$/.exec(key)
    if (service && !every.some((module) => serviceUrlKey(module) === key)) say(`${key} names no module (modules: ${every.join(', ')})`)
    if (database && !graph.names.some((module) => databaseUrlKey(module) === key)) say(`${key} names no module with a database here (modules: ${graph.names.join(', ')})`)
  }
  const list = process.env.MODULES ?? 'all'
  const { modules, unknown } = resolveModules(list, graph.names)
  for (const name of unknown) say(`MODULES: "${name}" is ${graph.external.includes(name) ? 'external: implemented outside Cleave, never mounted here' : `no module (modules: ${graph.names.join(', ')})`}`)
  return { ...process, modules: modules.filter((module) => !unknown.includes(module)), services }
}

function hostOf (url: string): string {
  try {
    return new URL(url).hostname.split('.')[0]
  } catch {
    return url
  }
}

const nameOfProcesses = (source: string) => source.includes('compose') ? 'service' : 'Service'
