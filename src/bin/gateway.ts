import { buildGateway } from '../platform/app/build-gateway.js'
import { loadModuleRegistry } from '../platform/contracts/module-registry.js'
import { loadConfigOrExit, serve } from '../platform/app/serve.js'

const registry = await loadModuleRegistry()
const config = loadConfigOrExit(registry)
await serve(await buildGateway(config, registry), config)
