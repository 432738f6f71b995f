// GET /orders/:id in one process, split (orders calls users over HTTP), split behind the gateway,
// and split with users down, against a floor that reads both stores without a client call; and the
// same read on bare Fastify in one process and split, whose difference is a bare undici hop.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { isDeepStrictEqual } from 'node:util'
import { load, measured } from './load.js'
import { machine, medians, milliseconds, requests, table, verdict, writeResults, type Run, type Summary } from './report.js'
import { imageEnv, startServer, stopServer, workspace, type Server } from './servers.js'
import { seedOrders } from './seed.js'
import { positiveInteger, positiveIntegers } from './settings.js'

const USERS = 200
const ORDERS = 1000

const BASELINE = 'baseline'
const ONE_PROCESS = 'one process'
const DIRECT = 'split, direct'
const GATEWAY = 'split, via gateway'
const FALLBACK = 'fallback, breaker open'
/** users' own GET /users/:id, straight to the users process of the split: the callee's route CPU. */
const CALLEE = 'users, GET /users/:id'
/** Bare Fastify + better-sqlite3 reading both stores (bench/bare-orders-server.ts). */
const BARE_ONE = 'bare, one process'
/** The same, getting the user from bench/bare-server.ts with one undici request: a bare hop. */
const BARE_SPLIT = 'bare, split'

const targets = {
  minRatio: 0.9,
  /** The fallback's p99 is judged at this many connections. */
  latencyConnections: 10,
  /** p50 a remote call adds (split direct − one process), in ms. */
  hopP50Ms: 0.15,
  /** The hop's p50 is judged at this many connections (latency, not saturation). */
  hopConnections: 1,
  fallbackP99Ms: 2,
  /** CPU a remote call adds (split direct, both processes, − one process) over a bare hop's (bare split − bare one process). */
  hopCpuRatio: 1.5
}

const settings = {
  duration: positiveInteger('BENCH_DURATION', 2),
  rounds: positiveInteger('BENCH_ROUNDS', 7),
  connections: positiveIntegers('BENCH_CONNECTIONS', [1, 10]),
  warmup: positiveInteger('BENCH_WARMUP', 2)
}

interface Target {
  server: Server
  /** Every process the request goes through, whose CPU is counted: the topology. */
  processes: Server[]
  /** Where orders are read: /orders on the real route, /baseline/orders on the floor. */
  prefix: string
  /** Answers come without the user (users is down). */
  degraded: boolean
  /** The callee's own route: its name, its ids, a text every answer has. */
  own?: { name: string, ids: number[], marker: string }
}

const pathOf = (target: Target, id: number) => `${target.prefix}/${id}`
const expectedMarker = (target: Target) => target.degraded ? '"degraded":true' : '"degraded":false'

async function get (target: Target, id: number): Promise<string> {
  const response = await fetch(`${target.server.url}${pathOf(target, id)}`)
  const body = await response.text()
  if (response.status !== 200) throw new Error(`${target.server.name}: GET ${pathOf(target, id)} answered ${response.status}: ${body}`)
  return body
}

// A faster floor that answers differently would make the comparison meaningless, so compare bytes first.
// Degraded answers are the same order with user null.
async function assertSameAnswers ([floor, ...others]: Target[], ids: number[]): Promise<void> {
  for (const id of [ids[0], ids[Math.floor(ids.length / 2)], ids[ids.length - 1]]) {
    const expected = await get(floor, id)
    const order = JSON.parse(expected) as { user: unknown, degraded: boolean }
    if (order.user === null || order.degraded) throw new Error(`${floor.server.name}: order ${id} has no user: ${expected}`)
    for (const target of others) {
      const body = await get(target, id)
      const same = target.degraded ? isDeepStrictEqual(JSON.parse(body), { ...order, user: null, degraded: true }) : body === expected
      if (!same) throw new Error(`${target.server.name} disagrees with ${floor.server.name} on order ${id}:\n${body}\n${expected}`)
    }
  }
}

function breakerState (log: string): string | undefined {
  return [...readFileSync(log, 'utf8').matchAll(/circuit breaker for users is ([a-z-]+)/g)].at(-1)?.[1]
}

// The breaker opens after a few failed calls. BREAKER_RESET_MS later it lets one call through
// (half-open), whose failure opens it again; a few calls before each run leave it open.
async function openBreaker (target: Target, ids: number[]): Promise<void> {
  const deadline = Date.now() + 15_000
  for (let sent = 1; Date.now() < deadline; sent++) {
    const body = await get(target, ids[sent % ids.length])
    if (!body.includes(expectedMarker(target))) throw new Error(`${target.server.name}: answer not degraded: ${body}`)
    await sleep(20)
    if (sent >= 3 && breakerState(target.server.log) === 'open') return
  }
  throw new Error(`${target.server.name}: circuit breaker for users not open after 15 s (last state: ${breakerState(target.server.log)})`)
}

async function measure (target: Target, ids: number[], connections: number, duration: number) {
  if (target.degraded) await openBreaker(target, ids)
  const marker = target.own?.marker ?? expectedMarker(target)
  const walked = target.own?.ids ?? ids
  return measured(target.processes, () => load(target.server, {
    connections,
    duration,
    path: (n) => pathOf(target, walked[n % walked.length]),
    verifyBody: (body) => body.includes(marker)
  }))
}

function rowOf (rows: Summary[], server: string, connections: number): Summary {
  const row = rows.find((r) => r.server === server && r.connections === connections)
  if (!row) throw new Error(`no runs of ${server} at ${connections} connections`)
  return row
}

interface Check {
  check: string
  connections: number
  measured: number
  shown: string
  target: string
  verdict: 'PASS' | 'MISS'
  /** For the hop checks, what one hop added: Cleave's (split direct − one process) and a bare one's (µs CPU or ms p50). */
  added?: { cleave: number, bare: number }
}

/** The one process a split target is compared with: Cleave's, or bare's for the bare split. */
const oneProcessOf = (server: string) => server === BARE_SPLIT ? BARE_ONE : ONE_PROCESS

function checks (rows: Summary[]): Check[] {
  const row = (server: string, connections: number) => rowOf(rows, server, connections)
  const added = (split: string, connections: number, of: 'p50' | 'cpuUs') => row(split, connections)[of]! - row(oneProcessOf(split), connections)[of]!

  function inProcessCall (connections: number): Check {
    const ratio = row(ONE_PROCESS, connections).reqPerSec / row(BASELINE, connections).reqPerSec
    return { check: 'one process req/s ÷ baseline req/s', connections, measured: ratio, shown: `${ratio.toFixed(3)}×`, target: `≥ ${targets.minRatio.toFixed(2)}×`, verdict: verdict(ratio >= targets.minRatio) }
  }

  function hopP50 (connections: number): Check {
    const cleave = added(DIRECT, connections, 'p50')
    const bare = added(BARE_SPLIT, connections, 'p50')
    return { check: `${DIRECT}: p50 − one process p50 (a bare hop adds ${signed(bare)} ms)`, connections, measured: cleave, shown: `${signed(cleave)} ms`, target: `≤ +${targets.hopP50Ms.toFixed(3)} ms`, verdict: verdict(cleave <= targets.hopP50Ms), added: { cleave, bare } }
  }

  function hopCpu (connections: number): Check {
    const cleave = added(DIRECT, connections, 'cpuUs')
    const bare = added(BARE_SPLIT, connections, 'cpuUs')
    const ratio = cleave / bare
    // A bare hop measured at no CPU (noise on a short run) gives no ratio to pass.
    return { check: `CPU a remote call adds (${DIRECT} − one process: ${cleave.toFixed(0)} µs) ÷ a bare hop's (${BARE_SPLIT} − ${BARE_ONE}: ${bare.toFixed(0)} µs)`, connections, measured: ratio, shown: `${ratio.toFixed(2)}×`, target: `≤ ${targets.hopCpuRatio.toFixed(2)}×`, verdict: verdict(bare > 0 && ratio <= targets.hopCpuRatio), added: { cleave, bare } }
  }

  function fallbackP99 (connections: number): Check {
    const p99 = row(FALLBACK, connections).p99
    return { check: `${FALLBACK}: p99`, connections, measured: p99, shown: `${milliseconds(p99, 3)} ms`, target: `≤ ${targets.fallbackP99Ms.toFixed(3)} ms`, verdict: verdict(p99 <= targets.fallbackP99Ms) }
  }

  const measuredAt = (connections: number) => settings.connections.includes(connections)
  return [
    ...settings.connections.map(inProcessCall),
    ...(measuredAt(targets.hopConnections) ? [hopP50(targets.hopConnections)] : []),
    ...settings.connections.map(hopCpu),
    ...(measuredAt(targets.latencyConnections) ? [fallbackP99(targets.latencyConnections)] : [])
  ]
}

function signed (value: number, digits = 3): string {
  return `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(digits)}`
}

function summaryTable (rows: Summary[]): string {
  const row = (server: string, connections: number) => rowOf(rows, server, connections)
  return table(
    ['target', 'connections', 'runs', 'req/s', 'p50 ms', 'p99 ms', 'req/s ÷ baseline', 'p50 − its one process', 'CPU µs/req, all its processes', 'CPU ÷ baseline', 'CPU − its one process'],
    rows.map((r) => {
      const connections = r.connections!
      const compared = ![BASELINE, ONE_PROCESS, CALLEE, BARE_ONE].includes(r.server)
      const one = row(oneProcessOf(r.server), connections)
      const baselineCpu = row(BASELINE, connections).cpuUs!
      return [
        r.server,
        String(connections),
        String(r.runs),
        requests(r.reqPerSec),
        milliseconds(r.p50, 3),
        milliseconds(r.p99, 3),
        r.server === BASELINE ? '—' : `${(r.reqPerSec / row(BASELINE, connections).reqPerSec).toFixed(3)}×`,
        compared ? `${signed(r.p50 - one.p50)} ms` : '—',
        r.cpuUs!.toFixed(1),
        r.server === BASELINE ? '—' : `${(r.cpuUs! / baselineCpu).toFixed(3)}×`,
        compared ? `${signed(r.cpuUs! - one.cpuUs!, 1)} µs` : '—'
      ]
    }),
    'lrrrrrrrrrr'
  )
}

function checksTable (list: Check[]): string {
  return table(
    ['check', 'connections', 'measured', 'target', 'result'],
    list.map((c) => [
      c.check,
      String(c.connections),
      c.shown,
      c.target,
      c.verdict
    ]),
    'lrrrl'
  )
}

const { dir: workDir, cleanUp } = workspace('split')
const dataDir = join(workDir, 'data')
const logOf = (name: string) => join(workDir, `${name.replaceAll(/\W+/g, '-')}.log`)

try {
  // Logging is not what is measured: at warn no access-log line is written per request.
  const env = { DATA_DIR: dataDir, LOG_LEVEL: 'warn' }
  const service = (name: string, module: string, extra: Record<string, string> = {}) =>
    startServer(name, 'src/bin/server.ts', { ...env, MODULES: module, ...extra }, logOf(name))

  // Seeded by a process of its own, stopped before anything is measured: a measured server that had
  // served the seeding's POSTs would carry their JIT and heap state into its reads (the baseline does not).
  const seeder = await service('seeder', 'all')
  console.error(`seeding ${USERS} users and ${ORDERS} orders`)
  const ids = await seedOrders(seeder, USERS, ORDERS)
  await stopServer(seeder)
  // Started one at a time: each picks its port only after the previous one listens on its own.
  const oneProcess = await service(ONE_PROCESS, 'all')
  const baseline = await startServer(BASELINE, 'bench/orders-baseline-server.ts', env, logOf('baseline'))
  const users = await service('users', 'users')
  const orders = await service(DIRECT, 'orders', { SERVICE_USERS_URL: users.url })
  const gateway = await startServer(GATEWAY, 'src/bin/gateway.ts',
    { ...env, MODULES: 'orders,users', SERVICE_ORDERS_URL: orders.url, SERVICE_USERS_URL: users.url }, logOf('gateway'))
  // The bare servers run on the image's NODE_OPTIONS as Cleave's do: a bare hop is compared with a Cleave hop.
  const bare = (name: string, script: string, extra: Record<string, string> = {}) =>
    startServer(name, script, { DATA_DIR: dataDir, ...imageEnv(), ...extra }, logOf(name))
  const bareOne = await bare(BARE_ONE, 'bench/bare-orders-server.ts')
  const bareUsers = await bare('bare users', 'bench/bare-server.ts')
  const bareSplit = await bare(BARE_SPLIT, 'bench/bare-orders-server.ts', { USERS_URL: bareUsers.url })
  // This orders' users is stopped before any request reaches it, and no server starts after
  // that, so nothing else can take the closed port.
  const doomedUsers = await service('users, to be stopped', 'users')
  // No health checks here: they would take the lone users instance out of rotation, and the calls
  // refused before the breaker would leave it half-open for good instead of open.
  const fallback = await service(FALLBACK, 'orders', { SERVICE_USERS_URL: doomedUsers.url, HEALTH_CHECK_INTERVAL_MS: '0' })
  await stopServer(doomedUsers)

  const oneProcessTarget: Target = { server: oneProcess, processes: [oneProcess], prefix: '/orders', degraded: false }
  const fallbackTarget: Target = { server: fallback, processes: [fallback], prefix: '/orders', degraded: true }
  const all: Target[] = [
    { server: baseline, processes: [baseline], prefix: '/baseline/orders', degraded: false },
    oneProcessTarget,
    { server: orders, processes: [orders, users], prefix: '/orders', degraded: false },
    { server: gateway, processes: [gateway, orders, users], prefix: '/orders', degraded: false },
    fallbackTarget,
    { server: bareOne, processes: [bareOne], prefix: '/orders', degraded: false },
    { server: bareSplit, processes: [bareSplit, bareUsers], prefix: '/orders', degraded: false }
  ]
  await openBreaker(fallbackTarget, ids)
  await assertSameAnswers(all, ids)
  // The callee's own route, for information: its answers are users, not orders.
  const userIds = await Promise.all(ids.slice(0, 50).map(async (id) => (JSON.parse(await get(oneProcessTarget, id)) as { userId: number }).userId))
  all.push({ server: users, processes: [users], prefix: '/users', degraded: false, own: { name: CALLEE, ids: userIds, marker: '"email":' } })

  const most = Math.max(...settings.connections)
  for (const target of all) {
    console.error(`warming up ${target.own?.name ?? target.server.name} for ${settings.warmup} s`)
    await measure(target, ids, most, settings.warmup)
  }

  // Each round starts one target later, so drift in the machine's load does not always hit the same one.
  const runs: Run[] = []
  for (let round = 1; round <= settings.rounds; round++) {
    const order = [...all.slice((round - 1) % all.length), ...all.slice(0, (round - 1) % all.length)]
    for (const connections of settings.connections) {
      for (const target of order) {
        const run = { round, server: target.own?.name ?? target.server.name, connections, ...await measure(target, ids, connections, settings.duration) }
        console.error(`round ${round}/${settings.rounds} ${run.server} @${connections}: ${Math.round(run.reqPerSec)} req/s, ` +
          `p50 ${milliseconds(run.p50, 3)} ms, p99 ${milliseconds(run.p99, 3)} ms, ${run.cpuUs.toFixed(1)} µs CPU/req`)
        runs.push(run)
      }
    }
  }

  const listed = [BASELINE, ONE_PROCESS, DIRECT, GATEWAY, FALLBACK, BARE_ONE, BARE_SPLIT, CALLEE]
  const rows = medians(runs).sort((a, b) => a.connections! - b.connections! || listed.indexOf(a.server) - listed.indexOf(b.server))
  const verdicts = checks(rows)
  const host = machine()
  const file = writeResults('split.json', {
    benchmark: 'GET /orders/:id by topology',
    date: new Date().toISOString(),
    machine: host,
    settings: { ...settings, users: USERS, orders: ORDERS, logLevel: env.LOG_LEVEL },
    targets,
    summary: rows,
    checks: verdicts,
    runs
  })

  const plural = settings.connections.length > 1 || settings.connections[0] > 1 ? 's' : ''
  console.log(`GET /orders/:id by topology — ${settings.rounds} rounds × ${settings.duration} s at ${settings.connections.join(' and ')} connection${plural}, ` +
    `LOG_LEVEL=warn, ${host.cpus} cores, Node ${host.node}\n`)
  console.log(summaryTable(rows))
  console.log()
  console.log(checksTable(verdicts))
  console.error(`\nwrote ${file}`)
} finally {
  await cleanUp()
}
