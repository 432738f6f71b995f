import closeWithGrace from 'close-with-grace'
import { buildApp } from '../platform/app.js'
import { ConfigError, loadConfig } from '../platform/config.js'
import { advertisedUrl } from '../platform/discovery/advertised-url.js'

let config
try {
  config = loadConfig()
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  console.error(error.message)
  process.exit(1)
}

const app = await buildApp(config)

closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS, logger: app.log }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after an unexpected error')
  else app.log.info({ signal }, 'shutting down')
  await app.close()
})

await app.listen({ port: config.PORT, host: config.HOST })
await app.discovery.announcer.announce(advertisedUrl(config, app.server.address()), config.modules)
