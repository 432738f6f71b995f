import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Announcer, Resolver } from './discovery.js'
import { createStaticResolver, silentAnnouncer } from './static.js'
import { createRedisDiscovery } from './redis.js'
import { createPassiveHealth, type PassiveHealth } from './passive-health.js'

export interface Discovery {
  resolver: Resolver
  announcer: Announcer
  /** The instances this process could not connect to, passed over by the gateway and the clients alike. */
  health: PassiveHealth
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
  const health = createPassiveHealth({ log: app.log, failures: app.metrics.connectFailures })
  app.decorate('discovery', { ...found, health })
  app.health.addSection('ejected', () => health.report())
  app.addHook('preClose', async () => { await found.announcer.withdraw() })
  app.addHook('onClose', async () => { await found.resolver.close() })
}

export default fp(discovery, { name: 'discovery', dependencies: ['config', 'metrics', 'health'] })
