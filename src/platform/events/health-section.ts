// The events' part of GET /health: RabbitMQ, shown and never a readiness check. Apart from
// amqp/, which loads its client only in a process with AMQP_URL.
import { Type, type Static } from '@sinclair/typebox'

export const AmqpSection = Type.Object({
  connection: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  exchange: Type.String(),
  queues: Type.Array(Type.String(), { description: 'the queues this process consumes and dead-letters into' })
}, { description: 'RabbitMQ (with AMQP_URL): shown, never a readiness check, since the outbox keeps events while it is down' })

declare module '../observability/health.js' {
  interface HealthSections { amqp: Static<typeof AmqpSection> }
}
