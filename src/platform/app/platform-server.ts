// The layer every Cleave process shares, server, worker and gateway alike: one Fastify instance
// with the same logger, connection limits and timeouts, request ids, traces, errors, security,
// health, metrics, runtime config, rate limits, discovery and shutdown. buildApp adds storage,
// clients, events and modules on top; buildGateway adds the routes to the modules.
import Fastify, { type FastifyBaseLogger } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from '../config/config.js'
import { configPlugin } from '../config/config-plugin.js'
import requestId, { requestIdOf } from '../http/request-id.js'
import hostHeader from '../http/host-header.js'
import { AccessLog } from '../http/access-log.js'
import { createLogger } from '../observability/logger.js'
import { serviceName } from '../config/service-name.js'
import { clientErrorHandler, frameworkErrors } from '../http/errors.js'
import errors from './error-handler.js'
import jsonBody from '../http/json-body.js'
import health from '../observability/health.js'
import { DependenciesSection } from '../clients/health-section.js'
import { UpstreamsSection } from '../gateway/health-section.js'
import { AmqpSection } from '../events/health-section.js'
import { EjectedSection } from '../discovery/health-section.js'
import metrics from '../observability/metrics.js'
import openapi, { type OpenapiOptions } from './openapi.js'
import type { ModuleRegistry } from '../contracts/module-registry.js'
import discovery from '../discovery/index.js'
import runtimeConfig from '../runtime-config/index.js'
import runtimeConfigRoutes from './runtime-config-routes.js'
import rateLimit from '../security/rate-limit.js'
import shutdown from './shutdown.js'
import securityHeaders from '../http/security-headers.js'
import cors from '../http/cors.js'
import connectionCap from '../http/connections/connection-cap.js'
import { requestTimeouts } from '../http/connections/request-timeouts.js'
import serviceAuth from '../security/service-auth.js'
import tracing, { loadSpanExport, traceLoggerFactory } from '../observability/tracing/index.js'
import { buildValidator } from '../http/validation.js'
import { buildSerializer } from '../http/serialization.js'

export interface PlatformOptions {
  /** The OpenAPI document and Swagger UI; false for a process that serves no API (a worker). */
  openapi: Omit<OpenapiOptions, 'registry'> | false
  /** GET/PATCH /admin/config (with ADMIN_TOKEN); a worker applies changes but serves no routes. */
  adminRoutes: boolean
}

/** Fastify's own limit per plugin, and room for migrations once connected. */
const pluginBudgetMs = 10_000

function pluginTimeoutMs (config: Config): number {
  return config.DATABASE_CONNECT_TIMEOUT_MS + 2 * pluginBudgetMs
}

export async function createPlatformServer (config: Config, registry: ModuleRegistry, options: PlatformOptions) {
  const spans = await loadSpanExport(config, serviceName(config))
  const app = Fastify({
    loggerInstance: createLogger(config) as FastifyBaseLogger,
    logController: new AccessLog(),
    genReqId: requestIdOf,
    bodyLimit: config.BODY_LIMIT_BYTES,
    // request.ip from X-Forwarded-For only when a proxy of the deployment's own sets it.
    trustProxy: config.TRUST_PROXY,
    ...requestTimeouts(config),
    childLoggerFactory: traceLoggerFactory(config, spans),
    frameworkErrors,
    clientErrorHandler,
    schemaController: { compilersFactory: { buildValidator, buildSerializer } },
    // A module's plugin opens its database, which on PostgreSQL may wait DATABASE_CONNECT_TIMEOUT_MS
    // for the server and then for the migration lock: Fastify's default 10 s would cut that short.
    pluginTimeout: pluginTimeoutMs(config)
  }).withTypeProvider<TypeBoxTypeProvider>()

  // In dependency order. The service-token check is added to routes before the rate limiter, so a
  // signed call is marked exempt by the time the limiter runs (both are route hooks, in that order).
  await app.register(configPlugin(config))
  await app.register(connectionCap)
  await app.register(tracing, { spans })
  await app.register(metrics)
  await app.register(errors)
  await app.register(jsonBody)
  await app.register(securityHeaders)
  await app.register(cors)
  if (options.openapi) await app.register(openapi, { ...options.openapi, registry })
  await app.register(requestId)
  await app.register(hostHeader)
  await app.register(serviceAuth)
  await app.register(health, { sections: { dependencies: DependenciesSection, upstreams: UpstreamsSection, amqp: AmqpSection, ejected: EjectedSection } })
  await app.register(runtimeConfig, { modules: registry.names })
  if (options.adminRoutes && config.ADMIN_TOKEN) await app.register(runtimeConfigRoutes, { token: config.ADMIN_TOKEN })
  await app.register(rateLimit)
  await app.register(discovery)
  await app.register(shutdown)
  return app
}

export type PlatformServer = Awaited<ReturnType<typeof createPlatformServer>>
