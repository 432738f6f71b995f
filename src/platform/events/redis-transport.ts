import { setTimeout as sleep } from 'node:timers/promises'
import { Queue, UnrecoverableError, Worker, type Job, type JobsOptions } from 'bullmq'
import type { Redis } from 'ioredis'
import type { FastifyBaseLogger } from 'fastify'
import type { EventCatalog } from './catalog.js'
import { queueName, type EventEnvelope } from './event.js'
import type { HandlerFailed, HandlerRunner } from './handler-runner.js'
import { closeRedis, createRedis } from '../redis/connection.js'
import { messageWithoutValues } from '../observability/error-serializer.js'
import { UnrecoverableEventError } from './errors.js'
import { createRedisEpoch } from './redis-epoch.js'
import { parseTraceparent } from '../observability/tracing/index.js'

export interface QueueSettings {
  redisUrl: string
  /** BullMQ key prefix, e.g. "cleave" for keys cleave:events-users:… */
  prefix: string
  attempts: number
  backoffMs: number
  concurrency: number
  /** Lock on a running job, renewed every half; once it lapses the job counts as stalled. */
  lockMs: number
  /** How often workers move stalled jobs (their worker died) back to the queue. */
  stalledIntervalMs: number
}

export const jobStates = ['waiting', 'active', 'failed', 'delayed'] as const

/** How long a worker's close may take once its handlers are done (BullMQ marks their jobs finished). */
const workerCloseGraceMs = 2000

/** Thrown when the Redis that acknowledged a delivery is not (or no longer) the one it was meant for. */
export class RedisChangedDuringDelivery extends Error {}

export interface RedisEventTransport {
  /** Resolves with the epoch of the Redis that holds the jobs (see redis-epoch.ts). */
  deliver (events: EventEnvelope[]): Promise<string>
  /** The same, to one subscribing module's queue only (an event that came from outside Cleave). */
  deliverTo (module: string, events: EventEnvelope[]): Promise<string>
  /** Connects now and calls `listener` with each new epoch: a Redis that lost its data is noticed even when nothing is pending. */
  watchEpoch (listener: (epoch: string) => void): void
  /** The last epoch known, if connected once. */
  epoch (): string | undefined
  /** Runs each runner's jobs; a job failed for good is reported to `failed`. */
  startWorkers (runners: HandlerRunner[], failed?: HandlerFailed): void
  queues (): Queue[]
  /** Jobs per queue and state, for the metrics scrape. */
  jobCounts (): Promise<Array<{ queue: string, counts: Record<string, number> }>>
  ping (): Promise<void>
  close (): Promise<void>
}

// One queue per subscribing module; the event id is the job id, so a resent event collapses
// into the job already there. Producers fail fast while Redis is down (the outbox keeps the
// event); workers wait for it (BullMQ's advice: maxRetriesPerRequest null). Each delivery
// reports the epoch of the Redis holding its jobs, so a relay can tell when they were lost.
export function createRedisEventTransport (settings: QueueSettings, catalog: EventCatalog, log: FastifyBaseLogger): RedisEventTransport {
  const producer = createRedis(settings.redisUrl, { role: 'events-producer', log })
  let connected: Promise<void> | undefined
  // Connected on first use: a process that publishes nothing opens nothing.
  const connect = () => (connected ??= producer.connect().catch(() => {}))
  const epochs = createRedisEpoch(producer, `${settings.prefix}:outbox-epoch`, log)
  const queues = new Map<string, Queue>()
  const workers: Array<{ worker: Worker, connection: Redis }> = []
  const reporting = new Set<Promise<void>>()
  // Handlers under way, so close() knows when the work it must wait for is done.
  const handling = new Set<Promise<void>>()
  // Holds a promise in `set` until it settles.
  function hold (set: Set<Promise<void>>, promise: Promise<void>) {
    const done = promise.finally(() => set.delete(done))
    set.add(done)
  }
  // Done, then a moment for BullMQ to record their jobs; a job it took meanwhile is waited for too.
  async function handlersSettled () {
    do {
      while (handling.size > 0) await Promise.all([...handling])
      await sleep(workerCloseGraceMs, undefined, { ref: false })
    } while (handling.size > 0)
  }
  const jobOptions: JobsOptions = {
    attempts: settings.attempts,
    backoff: { type: 'exponential', delay: settings.backoffMs },
    removeOnComplete: { age: 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 }
  }

  // A report is awaited at close; if it fails, the job still stays in BullMQ's failed set, as every failed job does.
  function track (module: string, job: Job<EventEnvelope>, report: Promise<void>) {
    hold(reporting, report.catch((err) => log.error({ module, event: job.name, eventId: job.id, err: (err as Error).message }, 'events: a job failed for good could not be reported; it stays in BullMQ\'s failed set')))
  }

  function queueOf (module: string): Queue {
    let queue = queues.get(module)
    if (!queue) {
      queue = new Queue(queueName(module), { connection: producer, prefix: settings.prefix })
      queue.on('error', (err) => log.debug({ err, module }, 'events: queue error'))
      queues.set(module, queue)
    }
    return queue
  }

  async function enqueue (bySubscriber: Map<string, EventEnvelope[]>): Promise<string> {
    await connect()
    const epoch = await epochs.current()
    await Promise.all([...bySubscriber].map(([module, batch]) => queueOf(module).addBulk(
      batch.map((event) => ({ name: event.name, data: event, opts: { ...jobOptions, jobId: event.id } }))
    )))
    // Checked after the acknowledgement, not only before: a Redis restarted between the two
    // would have taken the jobs into a data set without this epoch.
    if (!(await epochs.holds(epoch))) throw new RedisChangedDuringDelivery('Redis lost its data during the delivery; the events stay pending')
    return epoch
  }

  return {
    deliver (events) {
      const bySubscriber = new Map<string, EventEnvelope[]>()
      for (const event of events) {
        for (const module of catalog.subscribers(event.name)) bySubscriber.set(module, [...(bySubscriber.get(module) ?? []), event])
      }
      return enqueue(bySubscriber)
    },

    deliverTo: (module, events) => enqueue(new Map([[module, events]])),

    watchEpoch (listener) {
      epochs.onChange(listener)
      connect()
    },

    epoch: () => epochs.latest(),

    startWorkers (runners, failed) {
      for (const runner of runners) {
        const connection = createRedis(settings.redisUrl, { role: 'events-worker', name: runner.module, log })
        const worker = new Worker<EventEnvelope>(queueName(runner.module), async (job) => {
          const run = runner.run(job.data, job.attemptsMade + 1)
          hold(handling, run.then(() => {}, () => {}))
          try {
            await run
          } catch (error) {
            // BullMQ keeps the message (failedReason) and the stack in Redis, shown on the dashboard:
            // a failed query's values go no further than here.
            const message = messageWithoutValues(error)
            if (error instanceof UnrecoverableEventError) throw new UnrecoverableError(message)
            if (message !== (error as Error).message) throw Object.assign(new Error(message), { name: (error as Error).name })
            throw error
          }
        }, {
          connection,
          prefix: settings.prefix,
          concurrency: settings.concurrency,
          lockDuration: settings.lockMs,
          stalledInterval: settings.stalledIntervalMs
        })
        worker.on('failed', (job, err) => {
          log.warn({ module: runner.module, event: job?.name, eventId: job?.id, trace_id: parseTraceparent(job?.data.traceparent)?.traceId, attempt: job?.attemptsMade, err: err.message }, 'event handler failed')
          // BullMQ sets finishedOn only when it gives up: no attempt is left, or the error is unrecoverable.
          if (job?.finishedOn && failed) track(runner.module, job, failed(runner.module, job.data, { error: err, attempts: job.attemptsMade }))
        })
        worker.on('error', (err) => log.debug({ err, module: runner.module }, 'events: worker error'))
        workers.push({ worker, connection })
      }
    },

    queues: () => catalog.subscribingModules.map(queueOf),

    async jobCounts () {
      await connect()
      return Promise.all(catalog.subscribingModules.map(queueOf).map(async (queue) => ({ queue: queue.name, counts: await queue.getJobCounts(...jobStates) })))
    },

    async ping () {
      await connect()
      await producer.ping()
    },

    // Workers first: close() waits for the jobs they are running, then for their failures' reports.
    // BullMQ's close also waits for its blocking connection to end, which one reconnecting to an
    // unreachable Redis never does (bullmq#4656): once the handlers under way are done, and a
    // moment for BullMQ to record them, the close goes on without it.
    async close () {
      await Promise.all(workers.map(async ({ worker, connection }) => {
        const closed = worker.close().catch((err) => log.debug({ err }, 'events: worker close failed'))
        await Promise.race([closed, handlersSettled()])
        await closeRedis(connection)
      }))
      await Promise.all(reporting)
      await Promise.all([...queues.values()].map((queue) => queue.close()))
      await closeRedis(producer)
    }
  }
}
