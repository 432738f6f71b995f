import autoload from '@fastify/autoload'
import type { Config } from '../config/config.js'
import { paths } from '../primitives/paths.js'
import type { ModuleRegistry } from '../contracts/module-registry.js'
import databases from '../storage/databases.js'
import clients from '../clients/index.js'
import events from '../events/index.js'
import queueDashboard from '../events/queue-dashboard.js'
import appRegistry from './app-registry.js'
import operationRoutes from '../contracts/operation-routes.js'
import { createPlatformServer } from './platform-server.js'
import moduleMapPage from './module-map-page.js'

export interface BuildOptions {
  /** Modules to mount; defaults to the ones the config selects. */
  modules?: string[]
  /**
   * false for a worker: modules still implement their operations and event handlers, but
   * no operation becomes a route; only the platform's health routes remain.
   */
  routes?: boolean
}

export async function buildApp (config: Config, registry: ModuleRegistry, { modules = config.modules, routes = true }: BuildOptions = {}) {
  // @fastify/autoload does not detect `node --import tsx` (see STACK.md), so say it outright.
  if (paths.runningFromSource) process.env.FASTIFY_AUTOLOAD_TYPESCRIPT ??= '1'
  // Layer 1: the platform, the shared part first, then what only module processes have.
  const app = await createPlatformServer(config, registry, { openapi: routes ? {} : false, adminRoutes: routes })
  await app.register(appRegistry, { registry })
  await app.register(databases)
  await app.register(clients)
  await app.register(events, { modules })
  if (routes) await app.register(queueDashboard)

  // Layer 2: the selected business modules, each an encapsulated plugin that implements its contract.
  await app.register(autoload, {
    dir: paths.modules,
    maxDepth: 1,
    forceESM: true,
    dirNameRoutePrefix: false,
    matchFilter: (path: string) => modules.includes(path.split('/')[1]),
    options: { config }
  })
  // Layer 3: what they implement, served over HTTP (a worker serves none of it), and the map.
  if (routes) await app.register(operationRoutes)
  if (routes) await app.register(moduleMapPage, { graph: registry, here: modules })

  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>
