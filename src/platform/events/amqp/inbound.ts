import { setTimeout as sleep } from 'node:timers/promises'
import { ConsumerStatus, type AsyncMessage, type Connection, type Consumer } from 'rabbitmq-client'
import type { FastifyBaseLogger } from 'fastify'
import type { EventEnvelope } from '../event.js'
import { describeError } from './connection.js'
import { createInboundCheck, type RejectionKind } from './inbound-check.js'
import type { AmqpMetrics } from './metrics.js'

/** Hands events to a subscribing module's delivery path (its BullMQ queue, or its in-process runner). */
export type DeliverTo = (module: string, events: EventEnvelope[]) => Promise<unknown>

export interface InboundSubscriber {
  module: string
  /** The events of external modules it subscribes to: its queue's routing keys. */
  events: string[]
  check: ReturnType<typeof createInboundCheck>
}

export function consumerQueueName (exchange: string, module: string): string {
  return `${exchange}.${module}`
}

export function deadLetterQueueName (exchange: string): string {
  return `${exchange}.dead-letter`
}

/** The header of a dead-lettered message that says why it was refused. */
export const reasonHeader = 'x-cleave-reason'

/** Longest wait between two tries of a delivery path that is down. */
const maxRetryDelayMs = 30_000

// One durable queue per subscribing module, bound to exactly the external events it handles
// (never to Cleave's own: those reach it through the outbox). A valid event is acknowledged only
// once its delivery path took it: while that path is down the message waits, unacknowledged,
// and is tried again with backoff; at shutdown it goes back to the queue. A message that can
// never be handled is copied to the dead-letter queue with the reason, confirmed, then
// acknowledged: kept, and not redelivered.
export function createInboundConsumers (options: { connection: Connection, exchange: string, concurrency: number, retryDelayMs: number, deliverTo: DeliverTo, log: FastifyBaseLogger, metrics: AmqpMetrics }) {
  const { connection, exchange, concurrency, retryDelayMs, deliverTo, log, metrics } = options
  const deadLetterQueue = deadLetterQueueName(exchange)
  const deadLetters = connection.createPublisher({ confirm: true, queues: [{ queue: deadLetterQueue, durable: true }] })
  const consumers: Array<{ queue: string, consumer: Consumer }> = []
  const stopping = new AbortController()

  async function deadLetter (subscriber: InboundSubscriber, queue: string, message: AsyncMessage, kind: RejectionKind, reason: string) {
    const body = Buffer.isBuffer(message.body) ? message.body : Buffer.from(typeof message.body === 'string' ? message.body : JSON.stringify(message.body))
    await deadLetters.send({
      exchange: '',
      routingKey: deadLetterQueue,
      durable: true,
      contentType: message.contentType,
      contentEncoding: message.contentEncoding,
      messageId: message.messageId,
      type: message.type,
      appId: message.appId,
      timestamp: message.timestamp,
      headers: { ...message.headers, [reasonHeader]: reason, 'x-cleave-reason-kind': kind, 'x-cleave-queue': queue, 'x-cleave-exchange': message.exchange, 'x-cleave-routing-key': message.routingKey }
    }, body)
    metrics.deadLettered.inc({ module: subscriber.module, reason: kind })
    // The reason names fields and schema rules, never the payload's values.
    log.warn({ module: subscriber.module, queue, deadLetterQueue, routingKey: message.routingKey, messageId: message.messageId, reason }, 'RabbitMQ: message dead-lettered')
  }

  async function deliver (subscriber: InboundSubscriber, event: EventEnvelope): Promise<boolean> {
    for (let attempt = 0; !stopping.signal.aborted; attempt++) {
      try {
        await deliverTo(subscriber.module, [event])
        metrics.delivered.inc({ module: subscriber.module, event: event.name })
        return true
      } catch (err) {
        if (attempt === 0) log.warn({ module: subscriber.module, event: event.name, eventId: event.id, err: describeError(err) }, 'RabbitMQ: could not hand an event to its subscriber; it stays unacknowledged and is tried again')
        await sleep(Math.min(retryDelayMs * 2 ** attempt, maxRetryDelayMs), undefined, { signal: stopping.signal }).catch(() => {})
      }
    }
    return false
  }

  function consume (subscriber: InboundSubscriber) {
    const queue = consumerQueueName(exchange, subscriber.module)
    const consumer = connection.createConsumer({
      queue,
      queueOptions: { durable: true },
      qos: { prefetchCount: concurrency * 2 },
      concurrency,
      exchanges: [{ exchange, type: 'topic', durable: true }],
      queueBindings: subscriber.events.map((routingKey) => ({ exchange, queue, routingKey }))
    }, async (message) => {
      const verdict = subscriber.check(message)
      if ('kind' in verdict) {
        await deadLetter(subscriber, queue, message, verdict.kind, verdict.reason)
        return ConsumerStatus.ACK
      }
      return await deliver(subscriber, verdict.event) ? ConsumerStatus.ACK : ConsumerStatus.REQUEUE
    })
    consumer.on('error', (err) => log.warn({ module: subscriber.module, queue, amqp: describeError(err) }, 'RabbitMQ: consumer error; it resumes once the connection is back'))
    consumers.push({ queue, consumer })
  }

  return {
    start (subscribers: InboundSubscriber[]) {
      for (const subscriber of subscribers) consume(subscriber)
    },
    queues: () => [...consumers.map(({ queue }) => queue), deadLetterQueue],
    /** Stops consuming; a delivery waiting for its path gives its message back to the queue. */
    async close () {
      stopping.abort()
      await Promise.all(consumers.map(({ consumer }) => consumer.close()))
      await deadLetters.close()
    }
  }
}
