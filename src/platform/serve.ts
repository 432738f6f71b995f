import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { ConfigError, loadConfig, type Config } from './config.js'

// What every entrypoint does first: a bad setting ends the process with every problem named, no stack.
export function loadConfigOrExit (): Config {
  try {
    return loadConfig()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(error.message)
    process.exit(1)
  }
}

// Listens, and closes gracefully on SIGTERM/SIGINT (or a crash), within SHUTDOWN_TIMEOUT_MS.
export async function serve (app: FastifyInstance, config: Config): Promise<void> {
  closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS, logger: app.log }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an unexpected error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })
  await app.listen({ port: config.PORT, host: config.HOST })
}
