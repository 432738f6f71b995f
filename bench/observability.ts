// GET /users/:id with metrics and tracing on (the defaults) against the same server with both
// off, in the same run: what observability costs on the fastest route.
import { join } from 'node:path'
import { load, measured } from './load.js'
import { machine, medians, milliseconds, requests, table, verdict, writeResults, type Run } from './report.js'
import { startServer, stopServer, workspace, type Server } from './servers.js'
import { positiveInteger } from './settings.js'
import { seedUsers } from './seed.js'

const USERS = 1000
const OFF = 'METRICS=false TRACING=false'
const ON = 'METRICS=true TRACING=true'
const TARGET = 0.9

const settings = {
  duration: positiveInteger('BENCH_DURATION', 5),
  rounds: positiveInteger('BENCH_ROUNDS', 7),
  connections: positiveInteger('BENCH_CONNECTIONS', 10),
  warmup: positiveInteger('BENCH_WARMUP', 3),
  // info is the default and the dearer case for tracing: every access-log line carries the ids.
  logLevel: process.env.BENCH_LOG_LEVEL || 'info'
}

// Each request without a traceparent: the server starts a trace for every one, the dearer path.
const loadUsers = (server: Server, ids: number[], duration: number) =>
  measured([server], () => load(server, { connections: settings.connections, duration, path: (n) => `/users/${ids[n % ids.length]}` }))

const { dir: workDir, cleanUp } = workspace('observability')
const dataDir = join(workDir, 'data')

try {
  const server = (name: string, env: Record<string, string>) => startServer(name, 'src/bin/server.ts',
    { MODULES: 'all', DATA_DIR: dataDir, LOG_LEVEL: settings.logLevel, ...env }, join(workDir, `${name.replaceAll(/\W+/g, '-')}.log`))
  // Seeded by a server of its own, stopped before measuring: neither measured server starts with
  // the seeding behind it (a grown heap, an outbox its relay shipped), so they start level.
  const seeder = await server('seeder', {})
  console.error(`seeding ${USERS} users`)
  const ids = await seedUsers(seeder, USERS)
  await stopServer(seeder)
  const [off, on] = await Promise.all([server(OFF, { METRICS: 'false', TRACING: 'false' }), server(ON, { METRICS: 'true', TRACING: 'true' })])
  if ((await fetch(`${off.url}/metrics`)).status !== 404 || (await fetch(`${on.url}/metrics`)).status !== 200) {
    throw new Error('expected /metrics on the "on" server only')
  }

  for (const target of [off, on]) {
    console.error(`warming up ${target.name} for ${settings.warmup} s`)
    await loadUsers(target, ids, settings.warmup)
  }

  // Alternating, and each round starting with the other one, so drift in machine load falls on both.
  const runs: Run[] = []
  for (let round = 1; round <= settings.rounds; round++) {
    for (const target of round % 2 === 1 ? [off, on] : [on, off]) {
      const run = { round, server: target.name, ...await loadUsers(target, ids, settings.duration) }
      console.error(`round ${round}/${settings.rounds} ${target.name}: ${Math.round(run.reqPerSec)} req/s, p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms, ${run.cpuUs.toFixed(1)} µs CPU/req`)
      runs.push(run)
    }
  }

  const summary = medians(runs)
  const offRow = summary.find((row) => row.server === OFF)!
  const onRow = summary.find((row) => row.server === ON)!
  const ratio = onRow.reqPerSec / offRow.reqPerSec
  const perRound = Array.from({ length: settings.rounds }, (_, i) => {
    const of = (name: string) => runs.find((run) => run.round === i + 1 && run.server === name)!.reqPerSec
    return of(ON) / of(OFF)
  })
  const host = machine()
  writeResults('observability.json', {
    benchmark: 'GET /users/:id, metrics and tracing on vs off',
    date: new Date().toISOString(),
    machine: host,
    settings: { ...settings, users: USERS },
    summary,
    check: { ratio, target: TARGET, verdict: verdict(ratio >= TARGET), perRound },
    runs
  })

  console.log(`GET /users/:id, metrics+tracing on vs off — ${settings.rounds} rounds × ${settings.duration} s, ` +
    `${settings.connections} connections, LOG_LEVEL=${settings.logLevel}, ${host.cpus} cores, Node ${host.node}\n`)
  console.log(table(['server', 'runs', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req'],
    summary.map((row) => [row.server, String(row.runs), requests(row.reqPerSec), milliseconds(row.p50), milliseconds(row.p99), row.cpuUs!.toFixed(1)]), 'lrrrrr'))
  console.log()
  console.log(table(['check', 'measured', 'target', 'result'],
    [['on req/s ÷ off req/s (medians)', `${ratio.toFixed(3)}×`, `≥ ${TARGET.toFixed(2)}×`, verdict(ratio >= TARGET)],
      ['same, per round (min – max)', `${Math.min(...perRound).toFixed(3)} – ${Math.max(...perRound).toFixed(3)}×`, '—', '—']], 'lrrl'))
} finally {
  await cleanUp()
}
