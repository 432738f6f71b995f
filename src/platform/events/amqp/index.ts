// Events across languages: Cleave's events go out to RabbitMQ as CloudEvents, and the events of
// external modules come in from it to the Cleave modules that subscribe to them.
import type { FastifyBaseLogger } from 'fastify'
import type { Registry } from 'prom-client'
import type { Contract } from '../../contracts/define-contract.js'
import { messageWithoutValues } from '../../observability/error-serializer.js'
import { storableText } from '../../storage/storable-text.js'
import type { EventCatalog } from '../catalog.js'
import type { HandlerFailed } from '../handler-runner.js'
import type { Deliver } from '../relay.js'
import { amqpMessageOf, cloudEventOf } from './cloud-event.js'
import { createAmqpConnection } from './connection.js'
import { createDeadLetters, type DeadLetters } from './dead-letter.js'
import { createInboundCheck } from './inbound-check.js'
import { consumerQueueName, createInboundConsumers, type DeliverTo, type InboundSubscriber } from './inbound.js'
import { createAmqpMetrics } from './metrics.js'
import { alsoPublishing, createCloudEventPublisher } from './outbound.js'

export interface AmqpSettings {
  url: string
  exchange: string
  /** Names the connection in RabbitMQ's management UI. */
  name: string
  /** Messages one subscribing module handles at once. */
  concurrency: number
  /** First wait before handing an event again to a delivery path that failed. */
  retryDelayMs: number
  /** Largest message body taken in (BODY_LIMIT_BYTES); a bigger one is dead-lettered unread. */
  bodyLimitBytes: number
}

/** Longest error text a dead letter's reason quotes. */
const maxErrorLength = 500

export interface AmqpEvents {
  /** The relay's delivery, with every event also published and confirmed. */
  alsoPublishing (deliver: Deliver): Deliver
  /** Starts a consumer for each module mounted here that subscribes to events of external modules. */
  startConsumers (modules: Iterable<string>, deliverTo: DeliverTo): void
  /**
   * Dead-letters an event of an external module whose handler failed for good, as the CloudEvent
   * it came as; Cleave's own events are left where they failed. Resolves once the broker confirmed it.
   */
  handlerFailed: HandlerFailed
  describe (): { connection: 'up' | 'down', exchange: string, queues: string[] }
  stopConsumers (): Promise<void>
  close (): Promise<void>
}

/** What the modules here need of RabbitMQ: the external events each subscriber handles. */
export function inboundEvents (contracts: Iterable<Contract>, modules: Iterable<string>): Map<string, string[]> {
  const all = [...contracts]
  const external = new Set(all.filter((contract) => contract.external).flatMap((contract) => Object.keys(contract.events?.publishes ?? {})))
  const wanted = new Set(modules)
  const byModule = new Map<string, string[]>()
  for (const contract of all) {
    const events = (contract.events?.subscribes ?? []).filter((name) => external.has(name))
    if (wanted.has(contract.module) && events.length > 0) byModule.set(contract.module, events)
  }
  return byModule
}

export function createAmqpEvents (settings: AmqpSettings, context: { catalog: EventCatalog, contracts: Iterable<Contract>, registry: Registry, log: FastifyBaseLogger }): AmqpEvents {
  const { catalog, registry, log } = context
  const contracts = [...context.contracts]
  const externalModules = new Set(contracts.filter((contract) => contract.external).map((contract) => contract.module))
  const connection = createAmqpConnection({ url: settings.url, name: settings.name, log })
  const metrics = createAmqpMetrics(registry, connection)
  let publisher: ReturnType<typeof createCloudEventPublisher> | undefined
  let consumers: ReturnType<typeof createInboundConsumers> | undefined
  let deadLetters: DeadLetters | undefined
  const openDeadLetters = () => (deadLetters ??= createDeadLetters({ connection, exchange: settings.exchange, metrics, log }))

  return {
    alsoPublishing (deliver) {
      publisher ??= createCloudEventPublisher({ connection, exchange: settings.exchange, catalog, metrics })
      return alsoPublishing(deliver, publisher)
    },

    startConsumers (modules, deliverTo) {
      const subscribers: InboundSubscriber[] = [...inboundEvents(contracts, modules)].map(([module, events]) => ({
        module,
        events,
        check: createInboundCheck({ module, catalog, external: externalModules, subscribes: events, bodyLimit: settings.bodyLimitBytes })
      }))
      if (subscribers.length === 0) return
      consumers = createInboundConsumers({ connection, exchange: settings.exchange, concurrency: settings.concurrency, retryDelayMs: settings.retryDelayMs, deliverTo, deadLetters: openDeadLetters(), log, metrics })
      consumers.start(subscribers)
    },

    async handlerFailed (module, event, { error, attempts }) {
      if (!externalModules.has(catalog.publisher(event.name))) return
      const { body, properties } = amqpMessageOf(cloudEventOf(event))
      const reason = `${module}'s handler failed for good after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${storableText(messageWithoutValues(error), maxErrorLength)}`
      const origin = { module, queue: consumerQueueName(settings.exchange, module), exchange: settings.exchange, routingKey: event.name }
      await openDeadLetters().send(origin, 'handler-failed', reason, { ...properties, body })
    },

    describe: () => ({ connection: connection.ready ? 'up' : 'down', exchange: settings.exchange, queues: consumers?.queues() ?? [] }),

    stopConsumers: async () => { await consumers?.close() },

    // After the relays and the workers stopped: publishes and dead letters under way have settled by then.
    async close () {
      await publisher?.close()
      await deadLetters?.close()
      await connection.close()
    }
  }
}
