import type { Static, TSchema } from '@sinclair/typebox'
import type { OperationContext } from '../contracts/define-contract.js'
import type { Db } from '../storage/database.js'

/** Each publishing module's contract.ts adds its events here, which types publish() and handlers. */
export interface EventSchemas {}

export type EventName = keyof EventSchemas & string
export type EventPayload<E extends EventName> = Static<Extract<EventSchemas[E], TSchema>>

/** What travels: in an outbox row, a BullMQ job, or an in-process delivery. */
export interface EventEnvelope {
  id: string
  name: string
  payload: unknown
  publishedAt: number
  /** The publisher's span, W3C format; absent when it published with tracing off. */
  traceparent?: string
  tracestate?: string
}

export interface EventMeta {
  id: string
  name: string
  publishedAt: number
  attempt: number
  /**
   * The handler's own span in the publisher's trace, and a logger bound to it: log with
   * context.log, and pass `{ context }` to client calls so they join the trace.
   */
  context: OperationContext
  /**
   * Runs the handler's writes in one transaction of the module's database together with the
   * record that this event was handled: both commit or neither does, and a redelivery (even one
   * running at the same moment in another process) has no second effect. A handler that does
   * not call it is recorded as handled once it returns.
   */
  atomically<R> (work: (tx: Db) => Promise<R>): Promise<R>
}

export type EventHandler<E extends EventName> = (payload: EventPayload<E>, event: EventMeta) => void | Promise<void>

export type EventHandlers<Names extends EventName> = { [E in Names]: EventHandler<E> }

/** The queue a subscribing module's events go to, in BullMQ and in the metrics' labels. */
export function queueName (module: string): string {
  return `events-${module}`
}
