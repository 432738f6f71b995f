import { buildGateway } from '../platform/gateway/gateway.js'
import { loadConfigOrExit, serve } from '../platform/serve.js'

const config = loadConfigOrExit()
await serve(await buildGateway(config), config)
