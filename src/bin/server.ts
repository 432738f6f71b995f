import { advertisedUrl } from '../platform/discovery/advertised-url.js'
import { buildAppOrExit, loadConfigOrExit, serve } from '../platform/app/serve.js'

const config = loadConfigOrExit()
const app = await buildAppOrExit(config)
await serve(app, config)
await app.discovery.announcer.announce(advertisedUrl(config, app.server.address()), config.modules)
