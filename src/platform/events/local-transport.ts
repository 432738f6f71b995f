import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import type { EventCatalog } from './catalog.js'
import type { EventEnvelope } from './event.js'
import { UnrecoverableEventError } from './errors.js'
import type { HandlerFailed, HandlerRunner } from './handler-runner.js'
import { parseTraceparent } from '../observability/tracing/index.js'
import { messageWithoutValues } from '../observability/error-serializer.js'
import { backoffDelay } from '../primitives/backoff.js'

// Without Redis, the same outbox is handed to the subscribers mounted in this process, with
// the same retries and backoff. A subscriber in another process cannot be reached this way.
// A handler that failed for good is reported to `failed` before the delivery is done.
export function createLocalEventTransport (options: { catalog: EventCatalog, runners: Map<string, HandlerRunner>, attempts: number, backoffMs: number, log: FastifyBaseLogger, failed?: HandlerFailed }) {
  const { catalog, runners, attempts, backoffMs, log, failed } = options
  const unreachable = new Set<string>()

  async function handle (runner: HandlerRunner, event: EventEnvelope) {
    for (let attempt = 1; ; attempt++) {
      try {
        await runner.run(event, attempt)
        return
      } catch (error) {
        const final = attempt >= attempts || error instanceof UnrecoverableEventError
        log[final ? 'error' : 'warn']({ module: runner.module, event: event.name, eventId: event.id, trace_id: parseTraceparent(event.traceparent)?.traceId, attempt, err: messageWithoutValues(error) }, final ? 'event handler failed for good' : 'event handler failed')
        if (final) return await failed?.(runner.module, event, { error: error as Error, attempts: attempt })
        await sleep(backoffDelay(attempt - 1, { baseMs: backoffMs }))
      }
    }
  }

  function handleIn (module: string, event: EventEnvelope) {
    const runner = runners.get(module)
    if (runner) return handle(runner, event)
    if (!unreachable.has(module)) log.warn({ module, event: event.name }, `events for ${module} are not delivered: it runs in another process and REDIS_URL is not set`)
    unreachable.add(module)
    return undefined
  }

  // No epoch: the outbox is the only copy, so there is nothing to lose and deliver again.
  return {
    async deliver (events: EventEnvelope[]): Promise<null> {
      await Promise.all(events.flatMap((event) => catalog.subscribers(event.name).map((module) => handleIn(module, event))))
      return null
    },

    /** To one subscribing module only (an event that came from outside Cleave). */
    async deliverTo (module: string, events: EventEnvelope[]): Promise<null> {
      await Promise.all(events.map((event) => handleIn(module, event)))
      return null
    }
  }
}
