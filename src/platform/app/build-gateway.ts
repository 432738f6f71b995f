import type { Config } from '../config/config.js'
import type { ModuleRegistry } from '../contracts/module-registry.js'
import { createPlatformServer, type PlatformServer } from './platform-server.js'
import moduleMapPage from './module-map-page.js'
import docs from '../gateway/docs.js'
import proxy, { type Relay } from '../gateway/proxy.js'
import { createBreaker } from '../clients/remote/breaker.js'
import { callSettings } from '../clients/remote/settings.js'
import { modulePrefixes, prefixesByModule } from '../gateway/module-prefixes.js'
import { createUpstreams } from '../gateway/upstreams.js'
import { addInstancesGauge } from '../discovery/instances-gauge.js'

export interface GatewayOptions {
  /**
   * Modules to route; defaults to the ones the config selects (all, unless MODULES says otherwise)
   * and the external modules this deployment can find (see deployedExternals).
   */
  modules?: string[]
  /** Longest wait for a connection to an instance; past it the next instance, or 503. */
  connectTimeoutMs?: number
  /** Longest wait for an instance's response headers (and between body chunks); past it, 504. Default GATEWAY_TIMEOUT_MS. */
  upstreamTimeoutMs?: number
  /** How long a service's API document is reused for the merged /docs/json. */
  docsTtlMs?: number
}

// Instances on the same network connect in well under a second; one that does not is as good as down.
// Documents change only when a service is deployed; reusing them briefly keeps a reloaded /docs
// page from asking every service again. Both are options for tests, not settings to tune.
const defaults = { connectTimeoutMs: 1000, docsTtlMs: 10_000 }

// An external module is part of a deployment only where discovery can find it: with static
// discovery, once its SERVICE_<MODULE>_URL is set. A deployment that runs no shipping service
// then neither routes /shipments nor reports a target without instances (an alert).
function deployedExternals (config: Config, registry: ModuleRegistry): string[] {
  return registry.external.filter((module) => config.DISCOVERY === 'redis' || config.services[module] !== undefined)
}

// A breaker per module, with the clients' settings and runtime overrides; the relay keeps its own
// time (upstreamTimeoutMs), so the breaker only counts and refuses.
function moduleBreakers (app: PlatformServer, modules: Set<string>): Map<string, (relay: Relay) => Promise<unknown>> {
  const settingsFor = (module: string) => callSettings(app.config, app.runtimeConfig.current, module)
  const breakers = new Map([...modules].map((module) => [module, createBreaker<Relay>({ target: module, settings: () => settingsFor(module), log: app.log, metrics: app.metrics, timesOut: false })]))
  app.runtimeConfig.onChange(() => {
    for (const [module, breaker] of breakers) breaker.configure(settingsFor(module))
  })
  app.health.addSection('dependencies', () => Object.fromEntries([...breakers].map(([module, breaker]) => [module, breaker.report()])))
  app.addHook('onClose', async () => {
    for (const breaker of breakers.values()) breaker.breaker.shutdown()
  })
  return new Map([...breakers].map(([module, breaker]) => [module, breaker.stage((relay) => relay())]))
}

/** The public edge in split mode: each module's URL prefixes go to an instance of that module. Never listens. */
export async function buildGateway (config: Config, registry: ModuleRegistry, options: GatewayOptions = {}) {
  const { modules = [...config.modules, ...deployedExternals(config, registry)], connectTimeoutMs, upstreamTimeoutMs = config.GATEWAY_TIMEOUT_MS, docsTtlMs } = { ...defaults, ...options }
  const prefixes = modulePrefixes(modules.flatMap((module) => registry.contracts.get(module) ?? []))
  const gatewayConfig: Config = { ...config, SERVICE_NAME: config.SERVICE_NAME ?? 'cleave:gateway' }

  // Layer 1: the platform, as in buildApp, with the gateway's own OpenAPI base in place of a module document.
  const app = await createPlatformServer(gatewayConfig, registry, { openapi: { description: 'Every module\'s API, served through the gateway', ui: false }, adminRoutes: true })

  const { resolver, health } = app.discovery
  const routed = new Set(prefixes.values())
  const upstreams = createUpstreams(resolver, health, { connectTimeoutMs })
  app.addHook('onClose', async () => { await upstreams.close() })
  app.discovery.checks.watch(routed)
  const breakers = moduleBreakers(app, routed)

  // Ready means "can route": discovery answers. A module without live instances does not make the
  // gateway unready: taking the whole edge out of its load balancer would cut off every other
  // module too, while a per-request 503 names exactly what is missing. Services start in any order.
  app.health.addCheck('discovery', async () => {
    await Promise.all([...routed].map((module) => resolver.instances(module)))
  })
  addInstancesGauge(app.metrics.registry, resolver, health, () => routed)
  // Served at 0 from the start, so a rate() sees the first refusal as a rise.
  for (const module of routed) app.metrics.connectFailures.labels(module).inc(0)
  app.health.addSection('upstreams', async () => Object.fromEntries(await Promise.all(
    [...routed].map(async (module) => [module, await resolver.instances(module)])
  )))

  // Layer 2: merged docs and the routes to the modules.
  await app.register(docs, { modules: prefixesByModule(prefixes), upstreams, ttlMs: docsTtlMs, timeoutMs: Math.min(upstreamTimeoutMs, 2000) })
  await app.register(proxy, { prefixes, upstreams, health, upstreamTimeoutMs, breakers, bodyLimit: config.BODY_LIMIT_BYTES })
  await app.register(moduleMapPage, { graph: registry, here: [] })

  return app
}
