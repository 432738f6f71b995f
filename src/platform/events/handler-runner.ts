import { performance } from 'node:perf_hooks'
import { eq, sql } from 'drizzle-orm'
import type { FastifyBaseLogger } from 'fastify'
import type { OperationContext } from '../contracts/define-contract.js'
import type { Metrics } from '../observability/metrics.js'
import { continueTrace, spanParentOf, traceBindings, type OpenSpan, type SpanExport } from '../observability/tracing/index.js'
import { compileExact } from '../http/validation.js'
import { validationDetail } from '../primitives/validation-issues.js'
import type { Db, ModuleDatabase } from '../storage/database.js'
import type { EventCatalog } from './catalog.js'
import { queueName, type EventEnvelope, type EventMeta } from './event.js'
import { InvalidEventPayload } from './errors.js'
import type { ProcessedEventsTables } from './tables.js'

type AnyHandler = (payload: unknown, event: EventMeta) => void | Promise<void>

export interface HandlerRunner {
  module: string
  run (event: EventEnvelope, attempt: number): Promise<'handled' | 'duplicate'>
}

/**
 * Told when a module's handler failed an event for good (its last attempt, or an
 * UnrecoverableEventError), with that last error and the attempts made.
 */
export type HandlerFailed = (module: string, event: EventEnvelope, failure: { error: Error, attempts: number }) => Promise<void>

/** Thrown inside a handler's transaction when another delivery recorded the event first: rolls back its effect. */
class AlreadyHandled extends Error {}

// Validation, then at most one effect per event id: the id is recorded in the transaction of
// the handler's writes (event.atomically), or after it succeeds, and a redelivery (retry,
// stalled job, relay resend) finds it and stops. A redelivery that arrives while this process
// still runs the first one (a Redis that lost the running job got it again) waits for that run
// instead of starting the work a second time.
export function createHandlerRunner (options: { module: string, database: ModuleDatabase<ProcessedEventsTables>, catalog: EventCatalog, handlers: Record<string, AnyHandler>, log: FastifyBaseLogger, jobDuration: Metrics['jobDuration'], tracing: boolean, spans?: SpanExport }): HandlerRunner {
  const { module, database, catalog, handlers, log, jobDuration, tracing, spans } = options
  const { db, tables: { processedEvents }, prepareWrite } = database
  const checks = new Map(Object.keys(handlers).map((name) => [name, compileExact(catalog.schema(name))]))
  const queue = queueName(module)
  // Compiled once: these run for every event.
  const processed = db.select({ id: processedEvents.id }).from(processedEvents).where(eq(processedEvents.id, sql.placeholder('id'))).prepare('processed_events_by_id')
  const insertProcessed = prepareWrite('processed_events_record', (tx) => tx.insert(processedEvents)
    .values({ id: sql.placeholder('id'), name: sql.placeholder('name'), processedAt: sql.placeholder('processedAt') })
    .onConflictDoNothing().returning({ id: processedEvents.id }))

  async function wasProcessed (id: string): Promise<boolean> {
    const [row] = await processed.execute({ id })
    return row !== undefined
  }

  /** False when the id was already recorded. On PostgreSQL a second recording waits for the first's transaction. */
  async function record (tx: Db, event: EventEnvelope): Promise<boolean> {
    const inserted = await insertProcessed(tx, { id: event.id, name: event.name, processedAt: Date.now() })
    return inserted.length > 0
  }

  // The handler's span continues the publisher's trace (a new one if it published none); with
  // span export on, it is the exported consumer span.
  function contextOf (event: EventEnvelope, span: OpenSpan | undefined): OperationContext {
    const trace = span ? span.trace : tracing ? continueTrace(event.traceparent, event.tracestate) : undefined
    const bindings = { event: event.name, eventId: event.id }
    return { id: event.id, log: log.child(trace ? { ...traceBindings(trace), ...bindings } : bindings), headers: {}, trace }
  }

  async function handle (event: EventEnvelope, attempt: number): Promise<'handled' | 'duplicate'> {
    const handler = handlers[event.name]
    const check = checks.get(event.name)
    if (!handler || !check) throw new InvalidEventPayload(`${module} has no handler for ${event.name}`)
    if (!check(event.payload)) {
      throw new InvalidEventPayload(`${event.name} payload fails its schema: ${validationDetail(check.errors)}`)
    }
    if (await wasProcessed(event.id)) return 'duplicate'
    const span = spans?.start('consumer', `${event.name} process`, spanParentOf(event.traceparent, event.tracestate), {
      'messaging.operation.type': 'process', 'messaging.destination.name': queue, 'messaging.message.id': event.id, 'cleave.event.name': event.name, 'cleave.event.attempt': attempt
    })
    const context = contextOf(event, span)
    const started = performance.now()
    let recorded = false
    const atomically = <R>(work: (tx: Db) => Promise<R>) => database.atomically(async (tx) => {
      if (!await record(tx, event)) throw new AlreadyHandled()
      recorded = true
      return work(tx)
    })
    try {
      await handler(event.payload, { id: event.id, name: event.name, publishedAt: event.publishedAt, attempt, context, atomically })
    } catch (error) {
      span?.end({ failed: !(error instanceof AlreadyHandled) })
      if (error instanceof AlreadyHandled) return 'duplicate'
      throw error
    }
    span?.end()
    if (!recorded) await database.atomically((tx) => record(tx, event))
    // A job's access-log line: at info, like a request's.
    context.log.info({ queue, attempt, ms: Math.round((performance.now() - started) * 100) / 100 }, 'event handled')
    return 'handled'
  }

  const running = new Map<string, Promise<unknown>>()

  async function once (event: EventEnvelope, attempt: number): Promise<'handled' | 'duplicate'> {
    const first = running.get(event.id)
    if (first) {
      await first
      return 'duplicate'
    }
    const run = handle(event, attempt)
    running.set(event.id, run)
    try {
      return await run
    } finally {
      running.delete(event.id)
    }
  }

  // Timed the same in-process and on BullMQ: the queue label names the subscriber either way.
  return {
    module,
    async run (event, attempt) {
      const started = performance.now()
      let outcome: 'handled' | 'duplicate' | 'error' = 'error'
      try {
        outcome = await once(event, attempt)
        return outcome
      } finally {
        jobDuration.observe({ queue, event: event.name, outcome }, (performance.now() - started) / 1000)
      }
    }
  }
}
