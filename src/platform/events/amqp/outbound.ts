import type { Connection } from 'rabbitmq-client'
import type { EventCatalog } from '../catalog.js'
import type { EventEnvelope } from '../event.js'
import type { Deliver } from '../relay.js'
import { amqpMessageOf, toCloudEvent } from './cloud-event.js'
import { describeError } from './connection.js'
import type { AmqpMetrics } from './metrics.js'

export class AmqpPublishFailed extends Error {}

export interface CloudEventPublisher {
  /** Resolves once the broker confirmed every one of them (publisher confirms). */
  publish (events: EventEnvelope[]): Promise<void>
  close (): Promise<void>
}

// Persistent messages on the durable topic exchange, routing key = event name, sent together and
// confirmed one by one: a batch is published only when every confirm came back.
export function createCloudEventPublisher (options: { connection: Connection, exchange: string, catalog: EventCatalog, metrics: AmqpMetrics }): CloudEventPublisher {
  const { connection, exchange, catalog, metrics } = options
  const publisher = connection.createPublisher({ confirm: true, exchanges: [{ exchange, type: 'topic', durable: true }] })

  async function publishOne (event: EventEnvelope) {
    const { body, properties } = amqpMessageOf(toCloudEvent(event, catalog.publisher(event.name)))
    metrics.published.inc({ event: event.name })
    await publisher.send({ ...properties, exchange, routingKey: event.name, durable: true, appId: 'cleave' }, body)
    metrics.confirmed.inc({ event: event.name })
  }

  return {
    async publish (events) {
      try {
        await Promise.all(events.map(publishOne))
      } catch (err) {
        const { code, message } = describeError(err)
        throw new AmqpPublishFailed(`RabbitMQ did not confirm the events${code ? ` (${code})` : ''}: ${message}`)
      }
    },
    close: () => publisher.close()
  }
}

/**
 * The relay's delivery with RabbitMQ added: done when the queue transport accepted the events
 * and the broker confirmed them, so a row is marked sent only then. Both go at once; if either
 * fails the rows stay pending, and the next try sends both again (job ids and processed ids
 * absorb the queue side; CloudEvent consumers deduplicate by id, as the spec expects).
 */
export function alsoPublishing (deliver: Deliver, publisher: CloudEventPublisher): Deliver {
  return async (events) => {
    const [epoch] = await Promise.all([deliver(events), publisher.publish(events)])
    return epoch
  }
}
