import type { Connection, Envelope } from 'rabbitmq-client'
import type { FastifyBaseLogger } from 'fastify'
import type { RejectionKind } from './inbound-check.js'
import type { AmqpMetrics } from './metrics.js'

/**
 * Why a message is dead-lettered, as a bounded metric label: refused by the inbound check, not
 * taken by a delivery path however often it is tried, or failed by its handler for good.
 */
export type DeadLetterKind = RejectionKind | 'undeliverable' | 'handler-failed'

/** The header of a dead-lettered message that says why it was refused. */
export const reasonHeader = 'x-cleave-reason'

export function deadLetterQueueName (exchange: string): string {
  return `${exchange}.dead-letter`
}

/** Where a dead letter was on its way to: the subscribing module, its queue, and how it got there. */
export interface DeadLetterOrigin {
  module: string
  queue: string
  exchange: string
  routingKey: string
}

/** The message to keep: its body and AMQP properties, headers included. */
export type DeadLetterMessage = Pick<Envelope, 'contentType' | 'contentEncoding' | 'messageId' | 'type' | 'appId' | 'timestamp' | 'headers'> & { body: Buffer }

export type DeadLetters = ReturnType<typeof createDeadLetters>

// One durable queue per exchange, for every consuming module: each message is kept with the reason
// in its headers, and counts as kept only once the broker confirmed it.
export function createDeadLetters (options: { connection: Connection, exchange: string, metrics: AmqpMetrics, log: FastifyBaseLogger }) {
  const { connection, metrics, log } = options
  const queue = deadLetterQueueName(options.exchange)
  const publisher = connection.createPublisher({ confirm: true, queues: [{ queue, durable: true }] })

  return {
    queue,
    /** Resolves once the broker confirmed the copy. */
    async send (origin: DeadLetterOrigin, kind: DeadLetterKind, reason: string, { body, headers, ...properties }: DeadLetterMessage) {
      await publisher.send({
        ...properties,
        exchange: '',
        routingKey: queue,
        durable: true,
        headers: { ...headers, [reasonHeader]: reason, 'x-cleave-reason-kind': kind, 'x-cleave-queue': origin.queue, 'x-cleave-exchange': origin.exchange, 'x-cleave-routing-key': origin.routingKey }
      }, body)
      metrics.deadLettered.inc({ module: origin.module, reason: kind })
      // The reason names fields, rules and errors, never the payload's values.
      log.warn({ module: origin.module, queue: origin.queue, deadLetterQueue: queue, routingKey: origin.routingKey, messageId: properties.messageId, kind, reason }, 'RabbitMQ: message dead-lettered')
    },
    close: () => publisher.close()
  }
}
