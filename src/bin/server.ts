import { buildApp } from '../platform/app/build-app.js'
import { advertisedUrl } from '../platform/discovery/advertised-url.js'
import { loadConfigOrExit, serve } from '../platform/app/serve.js'

const config = loadConfigOrExit()
const app = await buildApp(config)
await serve(app, config)
await app.discovery.announcer.announce(advertisedUrl(config, app.server.address()), config.modules)
