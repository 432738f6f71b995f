// Per-client-IP request limits (@fastify/rate-limit), set and changed through app.runtimeConfig:
// max 0 means off. Counters live in Redis when it is configured, so the limit is fleet-wide. Failed
// authentications have a budget of their own, which holds even with the limits off.
import fp from 'fastify-plugin'
import rateLimit, { normalizeIP } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import { createProblemError } from '../primitives/coded-errors.js'
import { closeRedis, createRedis } from '../redis/connection.js'
import { addRouteHook } from '../primitives/route-hooks.js'

/** Says which limit was hit and when to retry, as extension members of its problem. */
export const RateLimited = createProblemError('CLV_RATE_LIMITED', '%s', 429)

const unlimitedRoutes = /^\/(health\/|metrics$)/

// Failed authentications one client may make per window, whatever RATE_LIMIT_MAX says (0 included).
// A constant, not a setting: ten is plenty for a person who mistypes, and 14,400 a day is hopeless
// against a 16-character token; a setting would only be a way to turn the guard off.
export const authFailureBudget = { max: 10, windowMs: 60_000 }

declare module 'fastify' {
  interface FastifyInstance {
    /** This client's failed authentications in the window: counts one more, or with { increment: false } only reads. */
    authFailures: ReturnType<FastifyInstance['createRateLimit']>
    /** The same, counted in this process alone: while the shared count (Redis) does not answer. */
    localAuthFailures: (request: FastifyRequest, options: { increment: boolean }) => AuthFailureCount
  }
  interface FastifyRequest {
    /** Set by a hook that authenticated the caller (admin token, service token); such a request is not limited. */
    rateLimitExempt: boolean
  }
}

async function rateLimits (app: FastifyInstance) {
  const { config, runtimeConfig } = app
  const limits = () => runtimeConfig.current.rateLimit
  // Fails fast while Redis is down, and the request goes through (skipOnError): an outage of
  // the counters must not become an outage of the API.
  const redis = config.REDIS_URL ? createRedis(config.REDIS_URL, { role: 'rate-limit', log: app.log }) : undefined
  app.decorateRequest('rateLimitExempt', false)
  await app.register(rateLimit, {
    // Not on every route by itself: its per-route hook is async and costs two promises per request
    // even with limiting off. Our own hook, below, calls it only when a limit is set.
    global: false,
    max: () => limits().max,
    // A new window length applies to windows that start after the change (Redis keeps a running window's expiry).
    timeWindow: () => limits().windowMs,
    keyGenerator: (request) => request.ip,
    skipOnError: true,
    redis,
    nameSpace: `${config.REDIS_PREFIX}rate-limit:`,
    errorResponseBuilder: (request, { max, ttl }) => {
      const retryAfterSeconds = Math.ceil(ttl / 1000)
      const { windowMs } = limits()
      return new RateLimited(
        { extensions: { limit: max, windowMs, retryAfterSeconds } },
        `Rate limit of ${max} requests per ${windowMs} ms exceeded for this client; retry in ${retryAfterSeconds} s`
      )
    }
  })
  // Counted apart from requests, per client address (an IPv6 client by its /64, which it may fill
  // with addresses). An error is thrown, not skipped: admin-auth.ts then counts in this process.
  app.decorate('authFailures', app.createRateLimit({
    max: authFailureBudget.max,
    timeWindow: authFailureBudget.windowMs,
    keyGenerator: (request) => `auth-failures:${normalizeIP(request.ip)}`,
    skipOnError: false
  }))
  const local = localCounter()
  app.decorate('localAuthFailures', (request: FastifyRequest, { increment }: { increment: boolean }) => local(`auth-failures:${normalizeIP(request.ip)}`, increment))

  const limit = app.rateLimit()
  // Route hooks run after every instance hook, so the hooks that authenticate (the admin guard,
  // the service-token check, which are also added per route but earlier) have set
  // request.rateLimitExempt by then.
  app.addHook('onRoute', (route) => {
    if (unlimitedRoutes.test(route.url)) return
    const check: onRequestHookHandler = function (request: FastifyRequest, reply: FastifyReply, done) {
      if (limits().max === 0 || request.rateLimitExempt) return done()
      limit.call(this, request, reply).then(() => done(), done)
    }
    addRouteHook(route, 'onRequest', check)
  })

  app.addHook('onClose', async () => {
    if (redis) await closeRedis(redis)
  })
}

/** What admin-auth.ts reads of a count, the library's or the local one. */
export interface AuthFailureCount { isExceeded: boolean, remaining: number, ttl: number }

// A fixed window per client, as the library counts; at most `limit` clients are held, the
// oldest window forgotten first, so a spread of addresses cannot grow it without end.
function localCounter (limit = 10_000) {
  const windows = new Map<string, { count: number, resetAt: number }>()
  return (key: string, increment: boolean, now = Date.now()): AuthFailureCount => {
    let window = windows.get(key)
    if (window === undefined || now >= window.resetAt) {
      windows.delete(key)
      if (windows.size >= limit) windows.delete(windows.keys().next().value!)
      windows.set(key, window = { count: 0, resetAt: now + authFailureBudget.windowMs })
    }
    if (increment) window.count++
    const { max } = authFailureBudget
    return { isExceeded: window.count > max, remaining: Math.max(0, max - window.count), ttl: window.resetAt - now }
  }
}

/** The 429 for a client over its budget of failed authentications; sets Retry-After. */
export function tooManyAuthFailures (reply: FastifyReply, ttlMs: number) {
  const retryAfterSeconds = Math.max(1, Math.ceil(ttlMs / 1000))
  const { max, windowMs } = authFailureBudget
  reply.header('retry-after', retryAfterSeconds)
  return new RateLimited(
    { extensions: { limit: max, windowMs, retryAfterSeconds } },
    `Too many failed authentications from this client (${max} per ${windowMs} ms); retry in ${retryAfterSeconds} s`
  )
}

export default fp(rateLimits, { name: 'rate-limit', dependencies: ['config', 'errors', 'runtime-config'] })
