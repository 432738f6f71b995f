import { Counter, Gauge, type Registry } from 'prom-client'
import type { Connection } from 'rabbitmq-client'

export interface AmqpMetrics {
  published: Counter<'event'>
  confirmed: Counter<'event'>
  delivered: Counter<'module' | 'event'>
  deadLettered: Counter<'module' | 'reason'>
  connected: Gauge
}

// Registered on the app's registry only when AMQP_URL is set: a process without RabbitMQ serves none of them.
export function createAmqpMetrics (registry: Registry, connection: Connection): AmqpMetrics {
  const registers = [registry]
  return {
    published: new Counter({ name: 'cleave_amqp_published_total', help: 'CloudEvents sent to the RabbitMQ exchange, per event (confirmed or not)', labelNames: ['event'], registers }),
    confirmed: new Counter({ name: 'cleave_amqp_confirmed_total', help: 'CloudEvents the broker confirmed, per event: only then is an outbox row marked sent', labelNames: ['event'], registers }),
    delivered: new Counter({ name: 'cleave_amqp_delivered_total', help: 'CloudEvents from external modules handed to a subscribing module\'s handlers (then acknowledged), per module and event', labelNames: ['module', 'event'], registers }),
    deadLettered: new Counter({ name: 'cleave_amqp_dead_lettered_total', help: 'Messages moved to the dead-letter queue, per consuming module and reason (too-large, content-type, not-json, not-cloudevent, unknown-type, not-subscribed, wrong-source, invalid-data, undeliverable, handler-failed)', labelNames: ['module', 'reason'], registers }),
    connected: new Gauge({ name: 'cleave_amqp_connected', help: '1 while the connection to RabbitMQ is up, else 0', registers, collect () { this.set(connection.ready ? 1 : 0) } })
  }
}
