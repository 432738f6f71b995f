import { Connection } from 'rabbitmq-client'
import type { FastifyBaseLogger } from 'fastify'

/**
 * How long a publish waits for a connection (or a channel) before failing: the outbox keeps the
 * rows, and the relay tries again at its next interval.
 */
const acquireTimeoutMs = 2000

// rabbitmq-client reconnects by itself with exponential backoff (and redeclares what its
// publishers and consumers declared); these bound that backoff, so an outage that ends is
// noticed within seconds.
const retryLowMs = 250
const retryHighMs = 5000

/** What an error says, without anything that could hold the URL. */
export function describeError (err: unknown): { code?: string, message: string } {
  const { code, message } = err as { code?: unknown, message?: unknown }
  return { code: typeof code === 'string' ? code : undefined, message: String(message ?? err) }
}

// One connection per process. The URL may hold a password: it is never logged, and errors are
// logged by code and message only. The client reports an outage once (not each retry).
export function createAmqpConnection (options: { url: string, name: string, log: FastifyBaseLogger }): Connection {
  const { log } = options
  const connection = new Connection({
    url: options.url,
    connectionName: options.name,
    acquireTimeout: acquireTimeoutMs,
    connectionTimeout: 5000,
    retryLow: retryLowMs,
    retryHigh: retryHighMs
  })
  let down = false
  connection.on('connection', () => {
    if (down) log.info('RabbitMQ: connected again')
    down = false
  })
  connection.on('error', (err) => {
    down = true
    log.warn({ amqp: describeError(err) }, 'RabbitMQ: connection failed; events wait in the outbox, and it reconnects by itself')
  })
  return connection
}
