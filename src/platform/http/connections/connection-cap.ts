import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../config/config.js'
import { createDropWarning } from './drop-warning.js'
import { openFileLimit } from './open-file-limit.js'

// Where the open-file limit cannot be read: below the 1024 many systems still start processes with.
const fallbackMaxConnections = 1000

/**
 * MAX_CONNECTIONS, or half the open-file limit: while a request is under way its connection may
 * need a second descriptor (the gateway's relay to an instance, a call to another module), and
 * databases (three files each with WAL), Redis connections and logs need theirs. At the limit,
 * accept() and open() fail for everyone at once, with nothing logged.
 */
export function maxConnectionsFor (config: Pick<Config, 'MAX_CONNECTIONS'>, fileLimit: number | undefined): number {
  if (config.MAX_CONNECTIONS !== undefined) return config.MAX_CONNECTIONS
  return fileLimit === undefined ? fallbackMaxConnections : Math.max(1, Math.floor(fileLimit / 2))
}

// Node closes a connection accepted beyond server.maxConnections at once and emits 'drop'
// (Node ≥ 18.6). Slow clients are cut by the request timeout, so slots free up again; the cap
// keeps them from taking the process's last file descriptors meanwhile.
async function connectionCap (app: FastifyInstance) {
  const maxConnections = maxConnectionsFor(app.config, openFileLimit())
  app.server.maxConnections = maxConnections
  const warning = createDropWarning(app.log, maxConnections)
  app.server.on('drop', warning.dropped)
  app.addHook('onListen', (done) => {
    app.log.info({ maxConnections }, `accepting at most ${maxConnections} connections at once`)
    done()
  })
  app.addHook('onClose', (_app, done) => {
    app.server.off('drop', warning.dropped)
    warning.stop()
    done()
  })
}

export default fp(connectionCap, { name: 'connection-cap', dependencies: ['config'] })
