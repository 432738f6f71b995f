// Events: Cleave's outbox (publish → relay → BullMQ → worker → handler) against raw BullMQ on the
// same private Redis, and the in-process mode for reference.
import { Queue, QueueEvents, Worker, type JobsOptions } from 'bullmq'
import { count, gte, isNull } from 'drizzle-orm'
import { Redis } from 'ioredis'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises'
import { buildApp, type App } from '../src/platform/app/build-app.js'
import { loadConfig } from '../src/platform/config/config.js'
import { loadModuleRegistry } from '../src/platform/contracts/module-registry.js'
import type { EventEnvelope } from '../src/platform/events/event.js'
import { queueName } from '../src/platform/events/event.js'
import { openSqlite } from '../src/platform/storage/sqlite.js'
import { createNotificationStore } from '../src/modules/notifications/store.js'
import { notificationTables } from '../src/modules/notifications/tables.js'
import { userTables } from '../src/modules/users/tables.js'
import { startRedisServer, type RedisServer } from './redis-server.js'
import { machine, median, milliseconds, requests, table, verdict, writeResults } from './report.js'
import { workspace } from './servers.js'
import { positiveInteger } from './settings.js'

const RAW_ADD = 'raw BullMQ, add'
const RAW_BULK = 'raw BullMQ, addBulk'
const RAW_BULK_WORK = 'raw BullMQ, addBulk, handler work'
const OUTBOX = 'outbox → BullMQ'
const OUTBOX_BURSTS = 'outbox → BullMQ, bursts'
const IN_PROCESS = 'outbox, in-process'
const RAW_PACED = 'raw BullMQ, add, paced'
const OUTBOX_PACED = 'outbox → BullMQ, paced'
const VARIANTS = [RAW_ADD, RAW_BULK, RAW_BULK_WORK, OUTBOX, OUTBOX_BURSTS, IN_PROCESS, RAW_PACED, OUTBOX_PACED]
const OUTBOXES = [OUTBOX, OUTBOX_BURSTS, OUTBOX_PACED]
const BULK = [RAW_BULK, RAW_BULK_WORK]
const PACED = [RAW_PACED, OUTBOX_PACED]

/** The relay's batch limit (relay.ts), so raw addBulk sends the largest batches the relay may. */
const BULK_SIZE = 200
const SUBSCRIBER = 'notifications'
/** removeOnComplete keeps this many completed jobs per queue; the bench reads a round's jobs back. */
const KEPT_JOBS = 10_000
const TIMEOUT_MS = 120_000

// The options redis-transport.ts gives every job, so a raw job costs Redis the same work.
const jobOptions: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 3600, count: KEPT_JOBS },
  removeOnFail: { age: 7 * 24 * 3600 }
}

const targets = { minRatio: 0.8, ratioAgainst: RAW_BULK, relayLagP99Ms: 50 }

const settings = {
  events: positiveInteger('BENCH_EVENTS', 3000),
  rounds: positiveInteger('BENCH_ROUNDS', 5),
  warmupEvents: positiveInteger('BENCH_WARMUP_EVENTS', 500),
  publishBurst: positiveInteger('BENCH_PUBLISH_BURST', 20),
  /** The app's WORKER_CONCURRENCY (its default is 50), given to the raw workers too. */
  workerConcurrency: positiveInteger('BENCH_WORKER_CONCURRENCY', 50),
  pacedRate: positiveInteger('BENCH_PACED_RATE', 200),
  pacedEvents: positiveInteger('BENCH_PACED_EVENTS', 600)
}
if (Math.max(settings.events, settings.pacedEvents) > KEPT_JOBS) throw new Error(`BENCH_EVENTS and BENCH_PACED_EVENTS: at most ${KEPT_JOBS}`)

/** Milliseconds. Every timestamp is a Date.now() taken by BullMQ, the outbox or the handler runner. */
interface Spread { p50: number, p99: number }

interface Run {
  variant: string
  round: number
  events: number
  /** Events over the time from the first add or publish to the last handler done. */
  eventsPerSec: number
  /** Add or publish → handler done. */
  latency: Spread
  /** Outbox created_at → job added (BullMQ's job.timestamp). */
  relayLag?: Spread
  /** Job added → a worker took it. */
  queueWait?: Spread
  /** A worker took it → handler done. */
  processing?: Spread
  /** The relay's addBulk calls on the subscriber's queue. */
  batches?: { count: number, meanSize: number, maxSize: number, ms: Spread }
  /** Mean wall time of one publish (users transaction + outbox insert, awaited until it commits), in µs. */
  publishUs?: number
  /** CPU time per event in µs: this Node process (all threads) and redis-server. */
  cpuUs: { node: number, redis: number }
}

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

function spread (values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b)
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) }
}

function payloadOf (i: number) {
  return { id: i + 1, name: `Bench User ${i}`, email: `user${i}@bench.example` }
}

/** The jobs the relay would make for these events (redis-transport.ts). */
function rawJob (i: number) {
  const event: EventEnvelope = { id: randomUUID(), name: 'user.created', payload: payloadOf(i), publishedAt: 0 }
  return { name: event.name, data: event, opts: { ...jobOptions, jobId: event.id } }
}

type Pace = { rate: number } | { burst: number }

/**
 * Runs `send` for event 0, 1, …: `rate` per second, or as fast as possible, letting the event loop
 * turn after every `burst` events (as if that many requests had arrived together).
 */
async function produce (events: number, pace: Pace, send: (i: number) => unknown): Promise<void> {
  const start = performance.now()
  for (let i = 0; i < events; i++) {
    const wait = 'rate' in pace ? start + (i * 1000) / pace.rate - performance.now() : 0
    if (wait > 0) await sleep(wait)
    await send(i)
    if ('burst' in pace && (i + 1) % pace.burst === 0) await nextTurn()
  }
}

async function redisCpuSeconds (control: Redis): Promise<number> {
  const info = await control.info('cpu')
  const field = (name: string) => Number(new RegExp(`^used_cpu_${name}:([\\d.]+)`, 'm').exec(info)?.[1])
  return field('sys') + field('user')
}

// This process runs the producer, the relay, the worker and the handler on one thread;
// redis-server runs beside it. Taken over the measured window only, not the reading back.
async function cpuMeter (control: Redis) {
  const redisBefore = await redisCpuSeconds(control)
  const nodeBefore = process.cpuUsage()
  return async (events: number): Promise<Run['cpuUs']> => {
    const node = process.cpuUsage(nodeBefore)
    const redis = await redisCpuSeconds(control) - redisBefore
    return { node: (node.user + node.system) / events, redis: (redis * 1e6) / events }
  }
}

/** Resolves when every expected job id has completed; a failed job or the timeout rejects. */
async function watchQueue (name: string, redis: RedisServer, prefix: string) {
  // STACK.md trap 5: QueueEvents gets connection options, never a shared ioredis instance.
  const events = new QueueEvents(name, { connection: { host: redis.host, port: redis.port }, prefix })
  await events.waitUntilReady()
  let current: { ids: Set<string>, left: number, settle: (error?: Error) => void } | undefined
  events.on('completed', ({ jobId }) => {
    if (current?.ids.has(jobId) && --current.left === 0) current.settle()
  })
  events.on('failed', ({ jobId, failedReason }) => current?.settle(new Error(`${name}: job ${jobId} failed: ${failedReason}`)))

  return {
    /** Call before the first of `ids` can complete; ids may be added until then. */
    expect (ids: Set<string>, expected: number): Promise<void> {
      const completed = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => current?.settle(new Error(`${name}: ${current.left} of ${expected} jobs not completed after ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS)
        current = {
          ids,
          left: expected,
          settle (error) {
            clearTimeout(timer)
            current = undefined
            if (error) reject(error)
            else resolve()
          }
        }
      })
      // Awaited only once producing is over; a failure before that must not be an unhandled rejection.
      completed.catch(() => {})
      return completed
    },
    close: () => events.close()
  }
}

interface JobTimes { published: number, added: number, taken: number, done: number }

// BullMQ's own clocks: timestamp (the job object made, just before the add call), processedOn
// (a worker took it), finishedOn (the processor returned). publishedAt is in the job's data.
async function jobTimes (queue: Queue, ids: string[]): Promise<JobTimes[]> {
  const jobs = await Promise.all(ids.map((id) => queue.getJob(id)))
  return jobs.map((job, i) => {
    if (!job?.processedOn || !job.finishedOn) throw new Error(`${queue.name}: job ${ids[i]} is gone or unfinished`)
    return { published: (job.data as EventEnvelope).publishedAt, added: job.timestamp, taken: job.processedOn, done: job.finishedOn }
  })
}

function timesRun (variant: string, round: number, start: number, times: JobTimes[], cpuUs: Run['cpuUs']): Run {
  return {
    variant,
    round,
    events: times.length,
    eventsPerSec: times.length / ((Math.max(...times.map((job) => job.done)) - start) / 1000),
    latency: spread(times.map((job) => job.done - job.published)),
    queueWait: spread(times.map((job) => job.taken - job.added)),
    processing: spread(times.map((job) => job.done - job.taken)),
    cpuUs
  }
}

type Processor = (event: EventEnvelope) => Promise<void>

async function rawBench (name: string, processor: Processor, redis: RedisServer, prefix: string, control: Redis) {
  const connection = { host: redis.host, port: redis.port, maxRetriesPerRequest: null }
  const queue = new Queue<EventEnvelope>(name, { connection, prefix })
  const worker = new Worker<EventEnvelope>(name, (job) => processor(job.data), { connection, prefix, concurrency: settings.workerConcurrency })
  worker.on('error', (err) => console.error(`${name} worker: ${err.message}`))
  const watch = await watchQueue(name, redis, prefix)

  async function run (variant: string, round: number, events: number): Promise<Run> {
    const jobs = Array.from({ length: events }, (_, i) => rawJob(i))
    const ids = jobs.map((job) => job.opts.jobId)
    const done = watch.expect(new Set(ids), events)
    const cpu = await cpuMeter(control)
    const start = Date.now()
    if (BULK.includes(variant)) {
      await produce(Math.ceil(events / BULK_SIZE), { burst: 1 }, (b) => {
        const batch = jobs.slice(b * BULK_SIZE, (b + 1) * BULK_SIZE)
        const now = Date.now()
        for (const job of batch) job.data.publishedAt = now
        return queue.addBulk(batch)
      })
    } else {
      await produce(events, variant === RAW_PACED ? { rate: settings.pacedRate } : { burst: 1 }, (i) => {
        const job = jobs[i]
        job.data.publishedAt = Date.now()
        return queue.add(job.name, job.data, job.opts)
      })
    }
    await done
    const cpuUs = await cpu(events)
    return timesRun(variant, round, start, await jobTimes(queue, ids), cpuUs)
  }

  return {
    run,
    async close () {
      await watch.close()
      await worker.close()
      await queue.close()
    }
  }
}

// What the notifications handler itself does for user.created, on its own database: the work
// any consumer would do (its row, in a transaction of its own), without the outbox, the relay or
// the handler runner's bookkeeping (the processed_events row it adds to that transaction).
function handlerWork (dataDir: string) {
  const database = openSqlite(dataDir, SUBSCRIBER, notificationTables.sqlite)
  const store = createNotificationStore(database)
  const processor: Processor = async (event) => {
    const user = event.payload as ReturnType<typeof payloadOf>
    await database.atomically((tx) => store.record(tx, { userId: user.id, kind: 'welcome', message: `Welcome, ${user.name}!`, eventId: event.id }))
  }
  return { processor, close: () => database.close() }
}

async function buildEventsApp (dataDir: string, redis?: { url: string, prefix: string }): Promise<App> {
  const registry = await loadModuleRegistry()
  return buildApp(loadConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    WORKER_CONCURRENCY: String(settings.workerConcurrency),
    ...(redis ? { REDIS_URL: redis.url, REDIS_PREFIX: `${redis.prefix}:` } : {})
  }, registry), registry, { modules: ['users', SUBSCRIBER] })
}

// Each event in its own users transaction, as a request would publish it, awaited until it has
// committed. Adds the ids to `ids` and returns the mean time one publish took, in µs.
async function publish (app: App, events: number, pace: Pace, ids: Set<string>): Promise<number> {
  const users = await app.databases.open('users', userTables)
  let spent = 0
  await produce(events, pace, async (i) => {
    const started = performance.now()
    ids.add(await users.atomically((tx) => app.events.publish(tx, 'user.created', payloadOf(i))))
    spent += performance.now() - started
  })
  return (spent * 1000) / events
}

function paceOf (variant: string): Pace {
  if (variant === OUTBOX_PACED) return { rate: settings.pacedRate }
  return { burst: variant === OUTBOX_BURSTS ? settings.publishBurst : 1 }
}

/**
 * processed_at, recorded by the handler runner in the handler's own transaction
 * (event.atomically), just before the handler's write, which commits with it.
 */
async function handledAt (app: App, since: number): Promise<Map<string, number>> {
  const { db, tables: { processedEvents } } = await app.databases.open(SUBSCRIBER, notificationTables)
  const rows = await db.select({ id: processedEvents.id, at: processedEvents.processedAt }).from(processedEvents)
    .where(gte(processedEvents.processedAt, since))
  return new Map(rows.map((row) => [row.id, row.at]))
}

function assertAllHandled (variant: string, ids: Set<string>, handled: Map<string, number>): void {
  const missing = [...ids].filter((id) => !handled.has(id)).length
  if (missing > 0) throw new Error(`${variant}: ${missing} of ${ids.size} events have no processed_events row`)
}

function subscriberQueue (app: App): Queue {
  const queue = app.events.queues().find((candidate) => candidate.name === queueName(SUBSCRIBER))
  if (!queue) throw new Error(`the app has no ${queueName(SUBSCRIBER)} queue`)
  return queue
}

async function outboxBench (dataDir: string, redis: RedisServer, prefix: string, control: Redis) {
  const app = await buildEventsApp(dataDir, { url: redis.url, prefix })
  await app.ready()
  const queue = subscriberQueue(app)

  // Times the relay's addBulk calls on the app's own queue object; the call itself is unchanged.
  const batches: Array<{ size: number, ms: number }> = []
  const addBulk = queue.addBulk.bind(queue)
  queue.addBulk = async (jobs) => {
    const started = performance.now()
    try {
      return await addBulk(jobs)
    } finally {
      batches.push({ size: jobs.length, ms: performance.now() - started })
    }
  }
  const watch = await watchQueue(queue.name, redis, prefix)

  async function run (variant: string, round: number, events: number): Promise<Run> {
    const ids = new Set<string>()
    const done = watch.expect(ids, events)
    batches.length = 0
    const cpu = await cpuMeter(control)
    const start = Date.now()
    const publishUs = await publish(app, events, paceOf(variant), ids)
    await done
    const cpuUs = await cpu(events)
    assertAllHandled(variant, ids, await handledAt(app, start))
    const times = await jobTimes(queue, [...ids])
    return {
      ...timesRun(variant, round, start, times, cpuUs),
      relayLag: spread(times.map((job) => job.added - job.published)),
      batches: {
        count: batches.length,
        meanSize: events / batches.length,
        maxSize: Math.max(...batches.map((batch) => batch.size)),
        ms: spread(batches.map((batch) => batch.ms))
      },
      publishUs
    }
  }

  return {
    run,
    async close () {
      await watch.close()
      await app.close()
    }
  }
}

async function inProcessBench (dataDir: string, control: Redis) {
  const app = await buildEventsApp(dataDir)
  await app.ready()
  const { db, tables: { outbox } } = await app.databases.open('users', userTables)
  // Uses the outbox_pending index. The local relay marks rows sent once their handlers returned.
  // Built once; each await runs it again.
  const pendingQuery = db.select({ n: count() }).from(outbox).where(isNull(outbox.sentAt))
  const pending = async () => (await pendingQuery)[0]!.n

  async function run (round: number, events: number): Promise<Run> {
    const ids = new Set<string>()
    const cpu = await cpuMeter(control)
    const start = Date.now()
    const publishUs = await publish(app, events, { burst: 1 }, ids)
    for (const deadline = Date.now() + TIMEOUT_MS; await pending() !== 0;) {
      if (Date.now() > deadline) throw new Error(`${IN_PROCESS}: outbox not drained after ${TIMEOUT_MS / 1000} s`)
      await sleep(1)
    }
    const cpuUs = await cpu(events)
    const handled = await handledAt(app, start)
    assertAllHandled(IN_PROCESS, ids, handled)
    const published = new Map((await db.select({ id: outbox.id, at: outbox.createdAt }).from(outbox).where(gte(outbox.createdAt, start)))
      .map((row) => [row.id, row.at]))
    const done = [...ids].map((id) => handled.get(id)!)
    return {
      variant: IN_PROCESS,
      round,
      events,
      eventsPerSec: events / ((Math.max(...done) - start) / 1000),
      latency: spread([...ids].map((id) => handled.get(id)! - published.get(id)!)),
      publishUs,
      cpuUs
    }
  }

  return { run, close: () => app.close() }
}

type Summary = Omit<Run, 'round' | 'events' | 'batches'> & { runs: number, batches?: Omit<NonNullable<Run['batches']>, 'count'> }

const medianOf = (runs: Run[], pick: (run: Run) => number | undefined): number => median(runs.map((run) => pick(run) ?? NaN))
const medianSpread = (runs: Run[], pick: (run: Run) => Spread | undefined): Spread | undefined =>
  pick(runs[0]) && { p50: medianOf(runs, (run) => pick(run)?.p50), p99: medianOf(runs, (run) => pick(run)?.p99) }

// Medians over rounds of each run's own figures: one disturbed round should not move the result.
function summarize (runs: Run[]): Summary[] {
  return VARIANTS.map((variant): Summary => {
    const mine = runs.filter((run) => run.variant === variant)
    const optional = {
      relayLag: medianSpread(mine, (run) => run.relayLag),
      queueWait: medianSpread(mine, (run) => run.queueWait),
      processing: medianSpread(mine, (run) => run.processing),
      batches: mine[0].batches && {
        meanSize: medianOf(mine, (run) => run.batches?.meanSize),
        maxSize: medianOf(mine, (run) => run.batches?.maxSize),
        ms: medianSpread(mine, (run) => run.batches?.ms)!
      },
      publishUs: mine[0].publishUs && medianOf(mine, (run) => run.publishUs)
    }
    return {
      variant,
      runs: mine.length,
      eventsPerSec: medianOf(mine, (run) => run.eventsPerSec),
      latency: medianSpread(mine, (run) => run.latency)!,
      ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
      cpuUs: { node: medianOf(mine, (run) => run.cpuUs.node), redis: medianOf(mine, (run) => run.cpuUs.redis) }
    }
  })
}

/** A variant's name with its settings, for tables. */
function label (variant: string): string {
  if (variant === OUTBOX_BURSTS) return `outbox → BullMQ, ${settings.publishBurst} per turn`
  if (PACED.includes(variant)) return `${variant} at ${settings.pacedRate}/s`
  return variant
}

function checks (rows: Summary[]) {
  const of = (variant: string) => rows.find((row) => row.variant === variant)!
  const ratio = (outbox: string, baseline: string) => {
    const value = of(outbox).eventsPerSec / of(baseline).eventsPerSec
    const judged = outbox === OUTBOX && baseline === targets.ratioAgainst
    return { check: `${label(outbox)} ÷ ${baseline}${judged ? '' : ' (reference)'}`, value: `${value.toFixed(3)}×`, target: `≥ ${targets.minRatio.toFixed(2)}×`, pass: value >= targets.minRatio }
  }
  const lag = (variant: string) => {
    const value = of(variant).relayLag!.p99
    return { check: `relay lag p99, ${label(variant)}`, value: `${milliseconds(value, 1)} ms`, target: `≤ ${targets.relayLagP99Ms} ms`, pass: value <= targets.relayLagP99Ms }
  }
  return [ratio(OUTBOX, RAW_BULK), ratio(OUTBOX, RAW_ADD), ratio(OUTBOX, RAW_BULK_WORK), ratio(OUTBOX_BURSTS, RAW_BULK), ...OUTBOXES.map(lag)]
}

const ms = (value: Spread | undefined, digits = 1) => value ? `${milliseconds(value.p50, digits)} / ${milliseconds(value.p99, digits)}` : '—'

function summaryTable (rows: Summary[]): string {
  return table(
    ['variant', 'runs', 'events/s', 'latency p50 / p99 ms', 'relay lag p50 / p99 ms', 'Node CPU µs/event', 'Redis CPU µs/event'],
    rows.map((row) => [label(row.variant), String(row.runs), requests(row.eventsPerSec),
      ms(row.latency), ms(row.relayLag), row.cpuUs.node.toFixed(0), row.cpuUs.redis.toFixed(0)]),
    'lrrrrrr'
  )
}

function checksTable (rows: ReturnType<typeof checks>): string {
  return table(['check', 'value', 'target', 'result'], rows.map((row) => [row.check, row.value, row.target, verdict(row.pass)]), 'lrrl')
}

function eventsPerCall (row: Summary): string {
  if (row.batches) return `${row.batches.meanSize.toFixed(1)} / ${row.batches.maxSize}`
  return BULK.includes(row.variant) ? String(BULK_SIZE) : '1 (add)'
}

// Where an event's time goes in the variants that pass through BullMQ.
function stagesTable (rows: Summary[]): string {
  const viaRedis = rows.filter((row) => row.queueWait && row.variant !== RAW_BULK_WORK)
  const cell = (row: Summary, text: (row: Summary) => string) => row.batches ? text(row) : '—'
  return table(['p50 / p99 ms', ...viaRedis.map((row) => label(row.variant))], [
    ['publish (users transaction + outbox row), µs', ...viaRedis.map((row) => cell(row, () => row.publishUs!.toFixed(0)))],
    ['published → job added (relay lag)', ...viaRedis.map((row) => ms(row.relayLag))],
    ['relay addBulk call', ...viaRedis.map((row) => cell(row, () => ms(row.batches!.ms, 2)))],
    ['events per add call, mean / max', ...viaRedis.map((row) => eventsPerCall(row))],
    ['job added → a worker took it', ...viaRedis.map((row) => ms(row.queueWait))],
    ['worker took it → handler done', ...viaRedis.map((row) => ms(row.processing))]
  ], `l${'r'.repeat(viaRedis.length)}`)
}

// An interrupted run then fails on closed handles, quietly.
let interrupted = false
const { dir: workDir, closers, cleanUp } = workspace('events', () => { interrupted = true })

try {
  const redis = await startRedisServer(workDir)
  closers.push(redis.stop)
  const control = new Redis(redis.url)
  closers.push(async () => { await control.quit() })
  const prefix = `bench-events-${randomUUID().slice(0, 8)}`
  console.error(`redis-server on port ${redis.port}, key prefix ${prefix}`)

  const raw = await rawBench('bench-raw', async () => {}, redis, prefix, control)
  closers.push(raw.close)
  const work = handlerWork(join(workDir, 'handler-work'))
  closers.push(work.close)
  const rawWork = await rawBench('bench-raw-work', work.processor, redis, prefix, control)
  closers.push(rawWork.close)
  const outbox = await outboxBench(join(workDir, 'with-redis'), redis, prefix, control)
  closers.push(outbox.close)
  const inProcess = await inProcessBench(join(workDir, 'in-process'), control)
  closers.push(inProcess.close)

  const runVariant = (variant: string, round: number, events: number): Promise<Run> => {
    if (variant === IN_PROCESS) return inProcess.run(round, events)
    if (OUTBOXES.includes(variant)) return outbox.run(variant, round, events)
    if (variant === RAW_BULK_WORK) return rawWork.run(variant, round, events)
    return raw.run(variant, round, events)
  }
  const eventsOf = (variant: string) => PACED.includes(variant) ? settings.pacedEvents : settings.events

  for (const variant of VARIANTS) {
    console.error(`warming up ${label(variant)} with ${Math.min(settings.warmupEvents, eventsOf(variant))} events`)
    await runVariant(variant, 0, Math.min(settings.warmupEvents, eventsOf(variant)))
  }

  // Interleaved so that drift in the machine's load falls on every variant.
  const runs: Run[] = []
  for (let round = 1; round <= settings.rounds; round++) {
    for (const variant of VARIANTS) {
      const run = await runVariant(variant, round, eventsOf(variant))
      console.error(`round ${round}/${settings.rounds} ${label(variant)}: ${requests(run.eventsPerSec)} events/s, latency ${ms(run.latency)} ms` +
        (run.relayLag ? `, relay lag ${ms(run.relayLag)} ms, ${run.batches!.count} addBulk calls` : ''))
      runs.push(run)
    }
  }

  const rows = summarize(runs)
  const verdicts = checks(rows)
  const host = machine()
  const file = writeResults('events.json', {
    benchmark: 'events: outbox → BullMQ against raw BullMQ',
    date: new Date().toISOString(),
    machine: host,
    settings: { ...settings, bulkSize: BULK_SIZE, redis: /redis_version:(\S+)/.exec(await control.info('server'))?.[1] },
    targets,
    summary: rows,
    checks: verdicts,
    runs
  })

  console.log(`Events — ${settings.rounds} rounds × ${settings.events} events (paced: ${settings.pacedEvents} at ${settings.pacedRate}/s), ` +
    `worker concurrency ${settings.workerConcurrency}, ${host.cpus} cores, Node ${host.node}\n`)
  console.log(summaryTable(rows))
  console.log()
  console.log(checksTable(verdicts))
  console.log()
  console.log(stagesTable(rows))
  console.error(`\nwrote ${file}`)
} catch (error) {
  if (!interrupted) throw error
} finally {
  await cleanUp()
}
