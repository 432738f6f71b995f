import { Type } from '@sinclair/typebox'

/** Redis: the one Redis that events, discovery, runtime config and rate limits share. */
export const redisSettings = {
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://', secret: true, urlKind: 'redis', description: 'a `redis://…` (or `rediss://…`) URL; required when `DISCOVERY=redis`' })),
  REDIS_PREFIX: Type.String({ default: 'cleave:', description: 'prefix of every Redis key Cleave writes' })
}
