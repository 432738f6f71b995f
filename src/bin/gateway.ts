import { buildGateway } from '../platform/gateway/gateway.js'
import { loadConfigOrExit, serve } from '../platform/app/serve.js'

const config = loadConfigOrExit()
await serve(await buildGateway(config), config)
