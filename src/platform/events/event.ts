import type { Static, TSchema } from '@sinclair/typebox'

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
}

export interface EventMeta { id: string, name: string, publishedAt: number, attempt: number }

export type EventHandler<E extends EventName> = (payload: EventPayload<E>, event: EventMeta) => void | Promise<void>

export type EventHandlers<Names extends EventName> = { [E in Names]: EventHandler<E> }
