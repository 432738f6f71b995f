import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Announcer, Resolver } from './discovery.js'
import { createStaticResolver, silentAnnouncer } from './static.js'
import { createRedisDiscovery } from './redis.js'

export interface Discovery {
  resolver: Resolver
  announcer: Announcer
}

declare module 'fastify' {
  interface FastifyInstance { discovery: Discovery }
}

async function discovery (app: FastifyInstance) {
  const { config } = app
  const found: Discovery = config.DISCOVERY === 'redis'
    // Config validation requires REDIS_URL when DISCOVERY=redis.
    ? createRedisDiscovery({ redis: config.REDIS_URL!, prefix: config.REDIS_PREFIX, ttlMs: config.DISCOVERY_TTL_MS, log: app.log })
    : { resolver: createStaticResolver(config.services), announcer: silentAnnouncer }
  app.decorate('discovery', found)
  app.addHook('preClose', async () => { await found.announcer.withdraw() })
  app.addHook('onClose', async () => { await found.resolver.close() })
}

export default fp(discovery, { name: 'discovery', dependencies: ['config'] })
