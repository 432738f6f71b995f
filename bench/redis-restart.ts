// How long an event waits when Redis restarts under traffic: Cleave's event transport (BullMQ queue
// and worker) on a private redis-server keeping its data as deploy/compose.yaml does (append-only
// file), restarted again and again while events flow. A Redis that stops just after handing a job
// to a worker, before its answer left, leaves that job taken by nobody until its lock lapses: the
// lock and stalled-check settings bound the wait. Today's defaults against the ones before (BullMQ's),
// alternating rounds; each round's restarts are the same for both.
import { randomUUID } from 'node:crypto'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import { eventsSettings } from '../src/platform/config/settings/events.js'
import { loadModuleRegistry } from '../src/platform/contracts/module-registry.js'
import { buildEventCatalog } from '../src/platform/events/catalog.js'
import { createRedisEventTransport } from '../src/platform/events/redis-transport.js'
import { spawnRedisServer } from '../test/helpers/redis-process.js'
import { machine, median, verdict, writeResults } from './report.js'
import { freePort, track, workspace } from './servers.js'
import { positiveInteger } from './settings.js'

const settings = {
  rounds: positiveInteger('BENCH_ROUNDS', 3),
  restarts: positiveInteger('BENCH_RESTARTS', 12),
  /** One event every this many ms, each to one job. */
  everyMs: positiveInteger('BENCH_EVERY_MS', 5),
  handlerMs: positiveInteger('BENCH_HANDLER_MS', 50),
  concurrency: positiveInteger('BENCH_WORKER_CONCURRENCY', 10)
}

const variants = [
  { name: 'defaults now', lockMs: eventsSettings.JOB_LOCK_MS.default, stalledMs: eventsSettings.JOB_STALLED_INTERVAL_MS.default },
  { name: 'before (BullMQ\'s)', lockMs: 30_000, stalledMs: 30_000 }
]

/** A wait this long counts as a job left to its lock (a restart alone costs a second or two). */
const LATE_MS = 5000

const { dir, cleanUp } = workspace('redis-restart')
const catalog = buildEventCatalog(await loadModuleRegistry())
const event = 'user.created'
const log = pino({ level: 'silent' })

async function round (variant: typeof variants[number], pauses: number[]): Promise<{ events: number, handled: number, duplicates: number, waitsMs: number[] }> {
  const port = await freePort()
  const dataDir = `${dir}/${randomUUID()}`
  mkdirSync(dataDir)
  const start = async () => {
    const child = await spawnRedisServer(port, dataDir, { appendOnly: true })
    track(child)
    return child
  }
  let redis: ChildProcess = await start()
  const transport = createRedisEventTransport({
    redisUrl: `redis://127.0.0.1:${port}`,
    prefix: 'bench',
    attempts: 5,
    backoffMs: 100,
    concurrency: settings.concurrency,
    lockMs: variant.lockMs,
    stalledIntervalMs: variant.stalledMs
  }, catalog, log)
  const acknowledged = new Map<string, number>()
  const handled = new Map<string, number>()
  let duplicates = 0
  transport.startWorkers(catalog.subscribers(event).map((module) => ({
    module,
    async run (envelope) {
      await sleep(settings.handlerMs)
      if (handled.has(envelope.id)) duplicates++
      else handled.set(envelope.id, Date.now())
      return 'handled'
    }
  })))
  const flowing = new AbortController()
  const producing = (async () => {
    while (!flowing.signal.aborted) {
      const id = randomUUID()
      // A delivery Redis did not acknowledge stays in the outbox in Cleave: here it is dropped.
      transport.deliver([{ id, name: event, payload: {}, publishedAt: Date.now() }]).then(() => { acknowledged.set(id, Date.now()) }, () => {})
      await sleep(settings.everyMs)
    }
  })()
  for (const pauseMs of pauses) {
    await sleep(1000 + pauseMs)
    redis.kill('SIGTERM')
    await once(redis, 'exit')
    await sleep(pauseMs)
    redis = await start()
  }
  // Events keep coming a while after the last restart: the workers must still be taking jobs, and
  // they are connected again when closed (a close while reconnecting costs the transport's grace).
  await sleep(3000)
  flowing.abort()
  await producing
  const drainUntil = Date.now() + variant.lockMs + 2 * variant.stalledMs + 30_000
  while (Date.now() < drainUntil && [...acknowledged.keys()].some((id) => !handled.has(id))) await sleep(250)
  await transport.close()
  redis.kill('SIGKILL')
  const waitsMs = [...acknowledged].map(([id, at]) => (handled.get(id) ?? Number.POSITIVE_INFINITY) - at)
  return { events: acknowledged.size, handled: [...acknowledged.keys()].filter((id) => handled.has(id)).length, duplicates, waitsMs }
}

const results: Record<string, Array<Awaited<ReturnType<typeof round>>>> = Object.fromEntries(variants.map((variant) => [variant.name, []]))
try {
  console.log(`${settings.rounds} rounds × ${settings.restarts} restarts; an event every ${settings.everyMs} ms, handlers ${settings.handlerMs} ms, concurrency ${settings.concurrency}`)
  for (let i = 0; i < settings.rounds; i++) {
    const pauses = Array.from({ length: settings.restarts }, () => Math.round(Math.random() * 1000))
    const order = i % 2 === 0 ? variants : [...variants].reverse()
    for (const variant of order) {
      const result = await round(variant, pauses)
      results[variant.name]!.push(result)
      const late = result.waitsMs.filter((ms) => ms > LATE_MS)
      console.log(`round ${i + 1}, ${variant.name}: ${result.events} events acknowledged, ${result.handled} handled, late (> ${LATE_MS / 1000} s): ${late.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ') || 'none'}`)
    }
  }
  const summary = variants.map((variant) => {
    const runs = results[variant.name]!
    const waits = runs.flatMap((run) => run.waitsMs)
    const late = waits.filter((ms) => ms > LATE_MS)
    const boundMs = variant.lockMs + variant.stalledMs
    return {
      name: variant.name,
      lockMs: variant.lockMs,
      stalledIntervalMs: variant.stalledMs,
      events: runs.reduce((sum, run) => sum + run.events, 0),
      unhandled: runs.reduce((sum, run) => sum + run.events - run.handled, 0),
      duplicates: runs.reduce((sum, run) => sum + run.duplicates, 0),
      medianWaitMs: median(waits),
      late: late.length,
      lateWaitsMs: late.sort((a, b) => a - b),
      boundMs
    }
  })
  for (const row of summary) {
    const longest = row.lateWaitsMs.at(-1)
    console.log(`${row.name} (lock ${row.lockMs / 1000} s, stalled check ${row.stalledIntervalMs / 1000} s): ${row.events} events, ${row.unhandled} never handled, median wait ${row.medianWaitMs.toFixed(0)} ms, ${row.late} late, longest ${longest === undefined ? '-' : `${(longest / 1000).toFixed(1)} s`} (lock + check ${row.boundMs / 1000} s)`)
  }
  const now = summary[0]!
  const within = now.unhandled === 0 && now.lateWaitsMs.every((ms) => ms <= now.boundMs + LATE_MS)
  console.log(`every event handled, none later than lock + check + ${LATE_MS / 1000} s with today's defaults: ${verdict(within)}`)
  console.log(`written ${writeResults('redis-restart.json', { machine: machine(), settings, summary })}`)
} finally {
  await cleanUp()
}
