import { advertisedUrl } from '../platform/discovery/advertised-url.js'
import { loadModuleRegistry } from '../platform/contracts/module-registry.js'
import { buildAppOrExit, loadConfigOrExit, serve } from '../platform/app/serve.js'

const registry = await loadModuleRegistry()
const config = loadConfigOrExit(registry)
const app = await buildAppOrExit(config, registry)
await serve(app, config)
await app.discovery.announcer.announce(advertisedUrl(config, app.server.address()), config.modules)
