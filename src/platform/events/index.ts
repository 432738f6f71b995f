import fp from 'fastify-plugin'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Queue } from 'bullmq'
import { count, isNull } from 'drizzle-orm'
import type { Db, ModuleDatabase } from '../storage/database.js'
import { Gauge } from 'prom-client'
import type { OperationContext } from '../contracts/define-contract.js'
import { traceparentOf } from '../observability/tracing/index.js'
import { compileExact } from '../http/validation.js'
import { validationDetail } from '../primitives/validation-issues.js'
import { within } from '../primitives/within.js'
import { buildEventCatalog } from './catalog.js'
import type { EventName, EventPayload } from './event.js'
import { createHandlerRunner, type HandlerRunner } from './handler-runner.js'
import { createLocalEventTransport } from './local-transport.js'
import type { RedisEventTransport } from './redis-transport.js'
import { createRelay, type Relay } from './relay.js'
import { startOutboxPruning } from './outbox-retention.js'
import type { OutboxTables, ProcessedEventsTables } from './tables.js'
import { serviceName } from '../config/service-name.js'

export interface Events {
  /**
   * Records an event in the publishing module's outbox through `tx`, the transaction of the
   * change it announces (the module database's atomically): the event exists exactly when the
   * change does, and is shipped once it commits. Pass the operation's context: the handlers
   * then continue its trace. Resolves to the event's id.
   */
  publish<E extends EventName> (tx: Db, name: E, payload: EventPayload<E>, context?: Pick<OperationContext, 'trace'>): Promise<string>
  /** The BullMQ queues of every subscribing module (empty without Redis). */
  queues (): Queue[]
}

declare module 'fastify' {
  interface FastifyInstance { events: Events }
}

/** Longest a /metrics scrape waits for Redis's job counts. */
const scrapeTimeoutMs = 1000

// Counted when /metrics is scraped, not kept up to date on every change.
function addScrapeGauges (app: FastifyInstance, publishers: string[], redis: RedisEventTransport | undefined, jobStates: readonly string[] = []) {
  // Registered on this app's registry only (prom-client's default is its global one).
  const { registry } = app.metrics
  const registers: [] = []
  registry.registerMetric(new Gauge({
    name: 'cleave_outbox_pending',
    help: 'Events in a publishing module\'s outbox not yet delivered',
    labelNames: ['module'],
    registers,
    async collect () {
      this.reset()
      for (const module of publishers) {
        const database = app.databases.get(module) as ModuleDatabase<OutboxTables> | undefined
        if (!database) continue
        const { outbox } = database.tables
        const [pending] = await database.db.select({ n: count() }).from(outbox).where(isNull(outbox.sentAt)).catch(() => [undefined])
        if (pending) this.set({ module }, pending.n)
      }
    }
  }))
  if (!redis) return
  registry.registerMetric(new Gauge({
    name: 'cleave_queue_jobs',
    help: 'BullMQ jobs per subscriber queue and state (absent when Redis does not answer in time)',
    labelNames: ['queue', 'state'],
    registers,
    async collect () {
      this.reset()
      const all = await within(redis.jobCounts(), scrapeTimeoutMs, undefined)
      for (const { queue, counts } of all ?? []) {
        for (const state of jobStates) this.set({ queue, state }, counts[state] ?? 0)
      }
    }
  }))
}

async function events (app: FastifyInstance, { modules }: { modules: string[] }) {
  const { config, metrics } = app
  const catalog = buildEventCatalog(app.registry)
  const checks = new Map<string, ReturnType<typeof compileExact>>()
  const runners = new Map<string, HandlerRunner>()
  const relays = new Map<string, Relay>()
  const prunings: Array<{ stop (): Promise<void> }> = []
  const prefix = config.REDIS_PREFIX.replace(/:+$/, '') || 'cleave'
  const publishers = modules.filter((name) => catalog.publishingModules.includes(name))
  // RabbitMQ only where something here publishes, or handles events of external modules.
  // Loaded only with AMQP_URL, like BullMQ with Redis.
  const amqpEvents = config.AMQP_URL ? await import('./amqp/index.js') : undefined
  const amqp = amqpEvents && config.AMQP_URL && (publishers.length > 0 || (config.WORKERS && amqpEvents.inboundEvents(app.registry.contracts.values(), modules).size > 0))
    ? amqpEvents.createAmqpEvents({ url: config.AMQP_URL, exchange: config.AMQP_EXCHANGE, name: serviceName(config), concurrency: config.WORKER_CONCURRENCY, retryDelayMs: config.RELAY_INTERVAL_MS, bodyLimitBytes: config.BODY_LIMIT_BYTES }, { catalog, contracts: app.registry.contracts.values(), registry: metrics.registry, log: app.log })
    : undefined
  // An external module's event that its handler failed for good goes back to RabbitMQ, to its dead-letter queue.
  const failed = amqp?.handlerFailed
  // BullMQ is loaded only with Redis: without it events go in-process.
  const redisTransport = config.REDIS_URL ? await import('./redis-transport.js') : undefined
  const redis = redisTransport && config.REDIS_URL
    ? redisTransport.createRedisEventTransport({ redisUrl: config.REDIS_URL, prefix, attempts: config.JOB_ATTEMPTS, backoffMs: config.JOB_BACKOFF_MS, concurrency: config.WORKER_CONCURRENCY, lockMs: config.JOB_LOCK_MS, stalledIntervalMs: config.JOB_STALLED_INTERVAL_MS }, catalog, app.log)
    : undefined
  const transport = redis ?? createLocalEventTransport({ catalog, runners, attempts: config.JOB_ATTEMPTS, backoffMs: config.JOB_BACKOFF_MS, log: app.log, failed })
  const deliver = amqp ? amqp.alsoPublishing(transport.deliver) : transport.deliver

  function databaseOf<T> (module: string): ModuleDatabase<T> {
    const database = app.databases.get(module)
    if (!database) throw new Error(`${module} has not opened its database: it cannot publish or handle events`)
    return database as ModuleDatabase<T>
  }

  function relayOf (module: string): Relay {
    let relay = relays.get(module)
    if (!relay) {
      const database = databaseOf<OutboxTables>(module)
      relay = createRelay({ database, deliver, queued: redis !== undefined, intervalMs: config.RELAY_INTERVAL_MS, claimMs: config.RELAY_CLAIM_MS, retentionMs: config.OUTBOX_RETENTION_MS, log: app.log, relayLag: metrics.relayLag })
      relays.set(module, relay)
      prunings.push(startOutboxPruning(database, { retentionMs: config.OUTBOX_RETENTION_MS, log: app.log }))
      const epoch = redis?.epoch()
      if (epoch) void relay.redeliverOutside(epoch)
    }
    return relay
  }

  app.decorate('events', {
    async publish (tx, name, payload, context) {
      const module = catalog.publisher(name)
      if (!modules.includes(module)) throw new Error(`${name} is published by ${module}, which is not mounted here`)
      let check = checks.get(name)
      if (!check) checks.set(name, check = compileExact(catalog.schema(name)))
      if (!check(payload)) throw new Error(`${name} payload fails its schema: ${validationDetail(check.errors)}`)
      const id = randomUUID()
      const trace = context?.trace
      await relayOf(module).append(tx, { id, name, payload: JSON.stringify(payload), traceparent: trace ? traceparentOf(trace) : null, tracestate: trace?.tracestate ?? null })
      return id
    },

    queues: () => redis?.queues() ?? []
  } satisfies Events)

  addScrapeGauges(app, publishers, redis, redisTransport?.jobStates)
  if (redis) app.health.addCheck('redis', () => redis.ping())
  // Shown, never a readiness check: the outbox and the broker's queues absorb an outage.
  if (amqp) app.health.addSection('amqp', () => amqp.describe())
  if (!redis) app.log.info('REDIS_URL is not set: events are dispatched in-process, and jobs are not shared across processes')

  app.addHook('onReady', async () => {
    // The modules have implemented their contracts by now: their handlers get a runner each.
    for (const { contract, handlers } of app.registry.implemented.values()) {
      if (Object.keys(handlers).length === 0) continue
      runners.set(contract.module, createHandlerRunner({ module: contract.module, database: databaseOf<ProcessedEventsTables>(contract.module), catalog, handlers: handlers as never, log: app.log, jobDuration: metrics.jobDuration, tracing: config.TRACING, spans: app.spanExport }))
    }
    // Publishers mounted here start relaying what an earlier run left pending, and what an
    // earlier Redis lost: it is noticed on connecting, even with nothing pending.
    for (const module of publishers) relayOf(module)
    if (redis && publishers.length > 0) redis.watchEpoch((epoch) => { for (const relay of relays.values()) void relay.redeliverOutside(epoch) })
    if (redis && config.WORKERS) redis.startWorkers([...runners.values()], failed)
    if (amqp && config.WORKERS) amqp.startConsumers(runners.keys(), transport.deliverTo)
  })

  // Redis before RabbitMQ: a job failing as its worker stops still reaches the dead-letter queue.
  app.addHook('onClose', async () => {
    await amqp?.stopConsumers()
    await Promise.all([...relays.values(), ...prunings].map((running) => running.stop()))
    await redis?.close()
    await amqp?.close()
  })
}

export default fp(events, { name: 'events', dependencies: ['config', 'registry', 'databases', 'health', 'metrics'] })
