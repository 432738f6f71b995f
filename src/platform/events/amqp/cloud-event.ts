// CloudEvents 1.0 in JSON structured mode (https://github.com/cloudevents/spec): the one format
// Cleave's events take on RabbitMQ, both ways.
import { Type, type Static } from '@sinclair/typebox'
import type { EventEnvelope } from '../event.js'

/** The AMQP content-type of a structured-mode CloudEvent. */
export const cloudEventMediaType = 'application/cloudevents+json'

// Extension attributes are allowed (the spec lets producers add them), so the object stays open.
export const CloudEvent = Type.Object({
  specversion: Type.Literal('1.0'),
  id: Type.String({ minLength: 1, maxLength: 200 }),
  source: Type.String({ minLength: 1 }),
  type: Type.String({ minLength: 1 }),
  time: Type.Optional(Type.String({ format: 'date-time' })),
  datacontenttype: Type.Optional(Type.String()),
  subject: Type.Optional(Type.String()),
  data: Type.Unknown(),
  // The Distributed Tracing extension: the publisher's W3C trace context.
  traceparent: Type.Optional(Type.String()),
  tracestate: Type.Optional(Type.String())
})
export type CloudEvent = Static<typeof CloudEvent>

/** An event of the outbox as a CloudEvent: its id and name, the publishing module as source. */
export function toCloudEvent (event: EventEnvelope, source: string): CloudEvent {
  const cloudEvent: CloudEvent = {
    specversion: '1.0',
    id: event.id,
    source,
    type: event.name,
    time: new Date(event.publishedAt).toISOString(),
    datacontenttype: 'application/json',
    data: event.payload
  }
  if (event.traceparent) cloudEvent.traceparent = event.traceparent
  if (event.tracestate) cloudEvent.tracestate = event.tracestate
  return cloudEvent
}

/** A CloudEvent as the body and properties of an AMQP message in structured mode. */
export function amqpMessageOf (cloudEvent: CloudEvent) {
  return {
    body: Buffer.from(JSON.stringify(cloudEvent)),
    properties: { contentType: cloudEventMediaType, messageId: cloudEvent.id, type: cloudEvent.type, timestamp: cloudEvent.time ? Math.floor(Date.parse(cloudEvent.time) / 1000) : undefined }
  }
}

/**
 * The id Cleave knows an incoming event by. A CloudEvent is unique by source and id, and BullMQ
 * refuses job ids of digits only or with a colon: `<source>/<id>`, the id percent-encoded.
 */
export function cleaveEventId (cloudEvent: Pick<CloudEvent, 'source' | 'id'>): string {
  return `${cloudEvent.source}/${encodeURIComponent(cloudEvent.id)}`
}

/** A validated incoming CloudEvent as the envelope the queue transports carry. */
export function envelopeOf (cloudEvent: CloudEvent): EventEnvelope {
  const event: EventEnvelope = {
    id: cleaveEventId(cloudEvent),
    name: cloudEvent.type,
    payload: cloudEvent.data,
    publishedAt: cloudEvent.time ? Date.parse(cloudEvent.time) : Date.now()
  }
  if (cloudEvent.traceparent) event.traceparent = cloudEvent.traceparent
  if (cloudEvent.tracestate) event.tracestate = cloudEvent.tracestate
  return event
}

/** An incoming event's CloudEvent again, from its envelope: the source and id are in its Cleave id. */
export function cloudEventOf (event: EventEnvelope): CloudEvent {
  const slash = event.id.indexOf('/')
  return toCloudEvent({ ...event, id: decodeURIComponent(event.id.slice(slash + 1)) }, event.id.slice(0, slash))
}
