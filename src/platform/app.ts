import Fastify, { type FastifyBaseLogger } from 'fastify'
import autoload from '@fastify/autoload'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from './config.js'
import { configPlugin } from './config-plugin.js'
import { paths } from './paths.js'
import requestId, { AccessLog, createLogger, requestIdOf, serviceName } from './logging.js'
import errors, { clientErrorHandler, frameworkErrors } from './errors.js'
import health from './health.js'
import metrics from './metrics.js'
import databases from './databases.js'
import openapi from './openapi.js'
import discovery from './discovery/index.js'
import clients from './clients/index.js'
import events from './events/index.js'
import queueDashboard from './queue-dashboard.js'
import runtimeConfig from './runtime-config/index.js'
import rateLimit from './rate-limit.js'
import shutdown from './shutdown.js'
import securityHeaders from './security-headers.js'
import cors from './cors.js'
import serviceAuth from './service-auth.js'
import tracing, { loadSpanExport, traceLoggerFactory } from './tracing/index.js'
import { buildValidator } from './validation.js'

export interface BuildOptions {
  /** Modules to mount; defaults to the ones the config selects. */
  modules?: string[]
  /**
   * false for a worker: modules still register their operations and event handlers, but
   * no HTTP routes (mountOperations skips them); only the platform's health routes remain.
   */
  routes?: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Whether mountOperations turns operations into HTTP routes (see BuildOptions.routes). */
    operationRoutes: boolean
  }
}

// @fastify/autoload does not detect `node --import tsx` (see STACK.md), so say it outright.
if (paths.runningFromSource) process.env.FASTIFY_AUTOLOAD_TYPESCRIPT ??= '1'

export async function buildApp (config: Config, { modules = config.modules, routes = true }: BuildOptions = {}) {
  const spans = await loadSpanExport(config, serviceName(config))
  const app = Fastify({
    loggerInstance: createLogger(config) as FastifyBaseLogger,
    logController: new AccessLog(),
    genReqId: requestIdOf,
    bodyLimit: config.BODY_LIMIT_BYTES,
    childLoggerFactory: traceLoggerFactory(config, spans),
    frameworkErrors,
    clientErrorHandler,
    schemaController: { compilersFactory: { buildValidator } }
  }).withTypeProvider<TypeBoxTypeProvider>()

  // Layer 1: platform, in dependency order.
  app.decorate('operationRoutes', routes)
  await app.register(configPlugin(config))
  await app.register(tracing, { spans })
  await app.register(metrics)
  await app.register(errors)
  await app.register(securityHeaders)
  await app.register(cors)
  if (routes) await app.register(openapi)
  await app.register(requestId)
  await app.register(serviceAuth)
  await app.register(health)
  await app.register(runtimeConfig, { routes })
  await app.register(rateLimit)
  await app.register(databases)
  await app.register(discovery)
  await app.register(shutdown)
  await app.register(clients)
  await app.register(events, { modules })
  if (routes) await app.register(queueDashboard)

  // Layer 2: the selected business modules, each an encapsulated plugin.
  await app.register(autoload, {
    dir: paths.modules,
    maxDepth: 1,
    forceESM: true,
    dirNameRoutePrefix: false,
    matchFilter: (path: string) => modules.includes(path.split('/')[1]),
    options: { config }
  })

  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>
