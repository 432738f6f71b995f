import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Announcer, Resolver } from './discovery.js'
import { createStaticResolver, silentAnnouncer } from './static.js'
import { createRedisDiscovery } from './redis.js'
import { createInstanceHealth, type InstanceHealth } from './instance-health.js'
import { createHealthChecks, type HealthChecks } from './health-checks.js'

export interface Discovery {
  resolver: Resolver
  announcer: Announcer
  /** The instances in rotation, for the gateway and the clients alike: passive health and health checks. */
  health: InstanceHealth
  /** Probes the instances of the modules this process reaches over HTTP. */
  checks: HealthChecks
}

declare module 'fastify' {
  interface FastifyInstance { discovery: Discovery }
}

async function discovery (app: FastifyInstance) {
  const { config } = app
  const found = config.DISCOVERY === 'redis'
    // Config validation requires REDIS_URL when DISCOVERY=redis.
    ? createRedisDiscovery({ redis: config.REDIS_URL!, prefix: config.REDIS_PREFIX, ttlMs: config.DISCOVERY_TTL_MS, log: app.log })
    : { resolver: createStaticResolver(config.services), announcer: silentAnnouncer }
  const health = createInstanceHealth({ log: app.log, failures: app.metrics.connectFailures })
  const checks = createHealthChecks({
    resolver: found.resolver,
    health,
    settings: { intervalMs: config.HEALTH_CHECK_INTERVAL_MS, timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS, failures: config.HEALTH_CHECK_FAILURES, staticUrls: config.DISCOVERY === 'static' },
    probes: app.metrics.healthChecks
  })
  app.decorate('discovery', { ...found, health, checks })
  app.health.addSection('ejected', () => health.report())
  app.addHook('preClose', async () => { await found.announcer.withdraw() })
  app.addHook('onClose', async () => {
    await checks.close()
    await found.resolver.close()
  })
}

export default fp(discovery, { name: 'discovery', dependencies: ['config', 'metrics', 'health'] })
