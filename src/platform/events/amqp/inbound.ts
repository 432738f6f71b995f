import { setTimeout as sleep } from 'node:timers/promises'
import { ConsumerStatus, type AsyncMessage, type Connection, type Consumer } from 'rabbitmq-client'
import type { FastifyBaseLogger } from 'fastify'
import type { EventEnvelope } from '../event.js'
import { describeError } from './connection.js'
import type { DeadLetterKind, DeadLetters } from './dead-letter.js'
import { bodyBytes, createInboundCheck } from './inbound-check.js'
import type { AmqpMetrics } from './metrics.js'
import { backoffDelay } from '../../primitives/backoff.js'

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

/** Longest wait between two tries of a delivery path that is down. */
const maxRetryDelayMs = 30_000
/** Tries of an event whose delivery throws the engine's own error before it is dead-lettered. */
const valueFailures = 3

/** Errors the JavaScript engine throws on a value it cannot take (e.g. JSON.stringify's RangeError). */
function isAboutTheValue (err: unknown): boolean {
  return err instanceof RangeError || err instanceof TypeError || err instanceof SyntaxError || err instanceof URIError
}

// One durable queue per subscribing module, bound to exactly the external events it handles
// (never to Cleave's own: those reach it through the outbox). A valid event is acknowledged only
// once its delivery path took it: while that path is down the message waits, unacknowledged,
// and is tried again with backoff; at shutdown it goes back to the queue. A message that can
// never be handled is copied to the dead-letter queue with the reason, confirmed, then
// acknowledged: kept, and not redelivered.
export function createInboundConsumers (options: { connection: Connection, exchange: string, concurrency: number, retryDelayMs: number, deliverTo: DeliverTo, deadLetters: DeadLetters, log: FastifyBaseLogger, metrics: AmqpMetrics }) {
  const { connection, exchange, concurrency, retryDelayMs, deliverTo, deadLetters, log, metrics } = options
  const consumers: Array<{ queue: string, consumer: Consumer }> = []
  const stopping = new AbortController()

  async function deadLetter (subscriber: InboundSubscriber, queue: string, message: AsyncMessage, kind: DeadLetterKind, reason: string) {
    const body = bodyBytes(message.body)
    const { contentType, contentEncoding, messageId, type, appId, timestamp, headers } = message
    await deadLetters.send(
      { module: subscriber.module, queue, exchange: message.exchange, routingKey: message.routingKey },
      kind,
      body ? reason : `${reason} (the body, decoded by the client as JSON, nests too deep to copy)`,
      { contentType, contentEncoding, messageId, type, appId, timestamp, headers, body: body ?? Buffer.alloc(0) }
    )
  }

  /** 'stopped' when shutdown came first; a reason when this event can never be handed on. */
  async function deliver (subscriber: InboundSubscriber, event: EventEnvelope): Promise<'delivered' | 'stopped' | { reason: string }> {
    for (let attempt = 0; !stopping.signal.aborted; attempt++) {
      try {
        await deliverTo(subscriber.module, [event])
        metrics.delivered.inc({ module: subscriber.module, event: event.name })
        return 'delivered'
      } catch (err) {
        // A path that is down fails on I/O (connection, Redis reply, a changed Redis) and is retried;
        // the engine's own errors come from this message, the same on every try: after a few tries
        // (a client library reconnecting can throw one too), it is dead-lettered.
        if (isAboutTheValue(err) && attempt + 1 >= valueFailures) return { reason: `${subscriber.module}'s delivery path cannot take it: ${(err as Error).name}: ${describeError(err).message}` }
        if (attempt === 0) log.warn({ module: subscriber.module, event: event.name, eventId: event.id, err: describeError(err) }, 'RabbitMQ: could not hand an event to its subscriber; it stays unacknowledged and is tried again')
        await sleep(backoffDelay(attempt, { baseMs: retryDelayMs, maxMs: maxRetryDelayMs }), undefined, { signal: stopping.signal }).catch(() => {})
      }
    }
    return 'stopped'
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
      const outcome = await deliver(subscriber, verdict.event)
      if (outcome === 'stopped') return ConsumerStatus.REQUEUE
      if (outcome !== 'delivered') await deadLetter(subscriber, queue, message, 'undeliverable', outcome.reason)
      return ConsumerStatus.ACK
    })
    consumer.on('error', (err) => log.warn({ module: subscriber.module, queue, amqp: describeError(err) }, 'RabbitMQ: consumer error; it resumes once the connection is back'))
    consumers.push({ queue, consumer })
  }

  return {
    start (subscribers: InboundSubscriber[]) {
      for (const subscriber of subscribers) consume(subscriber)
    },
    queues: () => [...consumers.map(({ queue }) => queue), deadLetters.queue],
    /** Stops consuming; a delivery waiting for its path gives its message back to the queue. */
    async close () {
      stopping.abort()
      await Promise.all(consumers.map(({ consumer }) => consumer.close()))
    }
  }
}
