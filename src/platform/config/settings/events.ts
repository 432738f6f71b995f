import { Type } from '@sinclair/typebox'
import { maxTimerMs } from './limits.js'

/** Events: the outbox and its relay, the workers, RabbitMQ. */
export const eventsSettings = {
  WORKERS: Type.Boolean({ default: true, description: 'run the event handlers of `MODULES` in this process' }),
  JOB_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 50, default: 5, description: 'tries of an event handler before its job is failed' }),
  JOB_BACKOFF_MS: Type.Integer({ minimum: 1, maximum: maxTimerMs, default: 500, description: 'first retry delay of an event handler\'s job; doubles each attempt' }),
  WORKER_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'jobs a worker runs at once per queue' }),
  JOB_LOCK_MS: Type.Integer({ minimum: 1000, maximum: maxTimerMs, default: 15000, description: 'how long a worker holds a job without renewing its lock (renewed every half); a job whose worker died or hung, or whose hand-over a Redis restart cut, runs again once it lapses, as does one whose handler holds the event loop longer' }),
  JOB_STALLED_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: maxTimerMs, default: 5000, description: 'how often workers look for jobs whose lock lapsed and queue them again: such a job waits about `JOB_LOCK_MS` + this' }),
  RELAY_INTERVAL_MS: Type.Integer({ minimum: 10, maximum: maxTimerMs, default: 1000, description: 'how often the outbox is checked for rows that could not be sent at once' }),
  RELAY_CLAIM_MS: Type.Integer({ minimum: 100, maximum: maxTimerMs, default: 10000, description: 'how long the process that wrote an outbox row (or claimed it) owns its delivery; a row whose owner died is claimed by another replica\'s relay once this lapses' }),
  OUTBOX_RETENTION_MS: Type.Integer({ minimum: 1000, default: 604_800_000, description: 'how long sent outbox rows are kept (default 7 days): events sent to a Redis that restarts empty within this window are delivered again; older sent rows are deleted' }),
  AMQP_URL: Type.Optional(Type.String({ pattern: '^amqps?://', secret: true, urlKind: 'amqp', description: 'an `amqp://user:password@host:5672` (or `amqps://`) URL of RabbitMQ: every relayed event is also published there as a CloudEvent, and the events of external modules are received from it (docs/guides/other-languages.md)' })),
  AMQP_EXCHANGE: Type.String({
    minLength: 1,
    maxLength: 200,
    pattern: '^[A-Za-z0-9._-]+$',
    default: 'cleave.events',
    expected: 'a name of letters, digits, . _ - (at most 200)',
    description: 'the durable topic exchange CloudEvents go to and come from (letters, digits, `.` `_` `-`); its queues are named `<exchange>.<module>` and `<exchange>.dead-letter`'
  })
}
