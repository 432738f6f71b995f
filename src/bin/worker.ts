// Only the queue workers (event handlers) of MODULES, with health endpoints; no module routes.
import { serviceName } from '../platform/config/service-name.js'
import { loadModuleRegistry } from '../platform/contracts/module-registry.js'
import { buildAppOrExit, loadConfigOrExit, serve } from '../platform/app/serve.js'

const registry = await loadModuleRegistry()
const config = loadConfigOrExit(registry)
if (!config.REDIS_URL) {
  console.error('worker: REDIS_URL is required. A worker consumes the BullMQ queues in Redis; without Redis, events are handled in-process by the server that publishes them, and a worker has nothing to consume.')
  process.exit(1)
}
const workerConfig = { ...config, WORKERS: true, SERVICE_NAME: config.SERVICE_NAME ?? `${serviceName(config)}:worker` }
const app = await buildAppOrExit(workerConfig, registry, { routes: false })
// Nothing routes requests to a worker (its port serves probes and metrics only) and it is not in
// discovery, so there is nothing to wait for: it stops taking jobs and finishes the running ones.
await serve(app, workerConfig, { drainDelayMs: 0 })
