import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { ConfigError, loadConfig, type Config, type ModuleNames } from '../config/config.js'
import { reachOf, unreachable } from '../config/reachability.js'
import { DatabaseConnectError } from '../storage/errors.js'
import type { ModuleRegistry } from '../contracts/module-registry.js'
import { buildApp, type App, type BuildOptions } from './build-app.js'

// What every entrypoint does first: a bad setting ends the process with every problem named, no stack.
export function loadConfigOrExit (modules: ModuleNames): Config {
  try {
    return loadConfig(process.env, modules)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(error.message)
    process.exit(1)
  }
}

/**
 * Builds the app of a server or worker; a module that cannot reach what it needs (before anything
 * opens), or a database that never answered, ends the process saying so.
 */
export async function buildAppOrExit (config: Config, registry: ModuleRegistry, options?: BuildOptions): Promise<App> {
  const problems = unreachable(registry, reachOf(config, options?.modules))
  if (problems.length > 0) {
    console.error(new ConfigError(problems).message)
    process.exit(1)
  }
  try {
    return await buildApp(config, registry, options)
  } catch (error) {
    if (!(error instanceof DatabaseConnectError)) throw error
    console.error(error.message)
    process.exit(1)
  }
}

export interface ServeOptions {
  /** How long to keep serving once draining starts; default DRAIN_DELAY_MS. */
  drainDelayMs?: number
}

// Listens, and on SIGTERM/SIGINT shuts down in two phases: drain (not ready, withdrawn from
// discovery, still serving for the drain delay), then close (stop accepting; in-flight requests
// and running jobs finish), the close bounded by SHUTDOWN_TIMEOUT_MS. Past drain + timeout the
// process exits 1 whatever is still running; a second signal exits 1 at once (close-with-grace).
// A crash skips the drain: the process is in an unknown state and should go quickly.
export async function serve (app: FastifyInstance, config: Config, { drainDelayMs = config.DRAIN_DELAY_MS }: ServeOptions = {}): Promise<void> {
  closeWithGrace({
    delay: drainDelayMs + config.SHUTDOWN_TIMEOUT_MS,
    logger: app.log,
    onSecondSignal: (signal) => app.log.error({ signal }, `second ${signal} while shutting down: exiting now`),
    onTimeout: (delay) => app.log.error({ delayMs: delay }, 'shutdown deadline passed: exiting with work unfinished')
  }, async ({ signal, err }) => {
    if (err) {
      app.log.error({ err }, 'shutting down after an unexpected error')
    } else {
      app.log.info({ signal }, 'shutting down')
      // Ctrl-C in a terminal is someone waiting, not a rollout: no load balancer to drain from.
      await app.drain(signal === 'SIGINT' ? 0 : drainDelayMs)
    }
    app.log.info({ phase: 'closing', timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'closing: no new connections; waiting for in-flight requests and running jobs')
    await app.close()
    app.log.info({ phase: 'closed' }, 'closed')
  })
  await app.listen({ port: config.PORT, host: config.HOST })
}
