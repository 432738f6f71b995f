// POST /users through the gateway with one users replica against two, on PostgreSQL: both
// topologies run at once, each on a database of its own, measured in alternating rounds.
import { join } from 'node:path'
import { load, measured } from './load.js'
import { benchDatabase, outboxDrained } from './postgres.js'
import { startRedisServer } from './redis-server.js'
import { machine, medians, milliseconds, requests, table, writeResults, type Run } from './report.js'
import { startServer, workspace, type Server } from './servers.js'
import { positiveInteger } from './settings.js'

const settings = {
  duration: positiveInteger('BENCH_DURATION', 5),
  rounds: positiveInteger('BENCH_ROUNDS', 7),
  connections: positiveInteger('BENCH_CONNECTIONS', 10),
  warmup: positiveInteger('BENCH_WARMUP', 3)
}
const LOG_LEVEL = 'warn'

interface Topology {
  name: string
  gateway: Server
  replicas: Server[]
  databaseUrl: string
}

// Every POST of the run has an email of its own (the topologies have separate databases anyway).
let posted = 0
const postUsers = {
  path: () => '/users',
  body: () => { posted++; return JSON.stringify({ name: `Bench Poster ${posted}`, email: `poster${posted}@bench.example` }) },
  status: 201
}

// CPU of the gateway and the replicas, until the users outbox is drained (every user.created in Redis).
const run = (topology: Topology, duration: number) => measured([topology.gateway, ...topology.replicas],
  () => load(topology.gateway, { connections: settings.connections, duration, ...postUsers }),
  () => outboxDrained(topology.databaseUrl))

/** Cumulative counts of cleave_relay_lag_seconds{module="users"} by upper bound (le), in seconds. */
type Buckets = Map<number, number>

async function relayLagBuckets (server: Server): Promise<Buckets> {
  const response = await fetch(`${server.url}/metrics`)
  if (response.status !== 200) throw new Error(`${server.name}: GET /metrics answered ${response.status}`)
  const buckets: Buckets = new Map()
  for (const [, labels, value] of (await response.text()).matchAll(/^cleave_relay_lag_seconds_bucket\{([^}]*)\} (\S+)$/gm)) {
    if (!labels.includes('module="users"')) continue
    const le = /le="([^"]+)"/.exec(labels)?.[1]
    if (le !== undefined) buckets.set(le === '+Inf' ? Infinity : Number(le), Number(value))
  }
  return buckets
}

// Sums of after − before over the replicas: the events relayed during the measured rounds only.
function lagDuringRounds (before: Buckets[], after: Buckets[]): Buckets {
  const total: Buckets = new Map()
  after.forEach((buckets, i) => {
    for (const [le, count] of buckets) total.set(le, (total.get(le) ?? 0) + count - (before[i].get(le) ?? 0))
  })
  return new Map([...total].sort(([a], [b]) => a - b))
}

// As Prometheus' histogram_quantile: linear within the bucket the rank falls in. In ms; above the
// highest finite bound it gives that bound (a lower limit).
function quantile (buckets: Buckets, q: number): number | undefined {
  const total = buckets.get(Infinity) ?? 0
  if (total === 0) return undefined
  const rank = q * total
  let lower = 0
  let below = 0
  for (const [le, count] of buckets) {
    if (count >= rank) return (le === Infinity ? lower : lower + (le - lower) * (rank - below) / Math.max(count - below, 1)) * 1000
    lower = le
    below = count
  }
  return lower * 1000
}

const { dir: workDir, closers, cleanUp } = workspace('replicas')

try {
  // One private redis-server for both topologies, each under its own prefix.
  const redis = await startRedisServer(workDir)
  closers.push(() => redis.stop())

  // Started one at a time, each replica after the previous one listens (and has migrated).
  async function topology (name: string, count: number): Promise<Topology> {
    const { name: database, url: databaseUrl } = await benchDatabase(closers)
    const slug = `${count}-replica`
    const env = { DATA_DIR: join(workDir, slug), LOG_LEVEL, REDIS_URL: redis.url, REDIS_PREFIX: `cleave-bench-${slug}:` }
    console.error(`${name}: database ${database}`)
    const replicas: Server[] = []
    for (let i = 1; i <= count; i++) {
      replicas.push(await startServer(`${name}, users ${i}`, 'src/bin/server.ts', { ...env, MODULES: 'users', USERS_DATABASE_URL: databaseUrl }, join(workDir, `${slug}-users-${i}.log`)))
    }
    const gateway = await startServer(`${name}, gateway`, 'src/bin/gateway.ts',
      { ...env, MODULES: 'users', SERVICE_USERS_URL: replicas.map((replica) => replica.url).join(',') }, join(workDir, `${slug}-gateway.log`))
    return { name, gateway, replicas, databaseUrl }
  }
  const one = await topology('one replica', 1)
  const two = await topology('two replicas', 2)
  const topologies = [one, two]

  for (const topology of topologies) {
    console.error(`warming up ${topology.name} for ${settings.warmup} s`)
    await run(topology, settings.warmup)
  }

  const snapshot = () => Promise.all(topologies.map((topology) => Promise.all(topology.replicas.map(relayLagBuckets))))
  const before = await snapshot()
  // Odd rounds start with one replica, even rounds with two, so drift in the machine's load falls on both.
  const runs: Run[] = []
  for (let round = 1; round <= settings.rounds; round++) {
    for (const topology of round % 2 === 1 ? topologies : [...topologies].reverse()) {
      const result = { round, server: topology.name, ...await run(topology, settings.duration) }
      console.error(`round ${round}/${settings.rounds} ${result.server}: ${Math.round(result.reqPerSec)} req/s, p50 ${milliseconds(result.p50)} ms, ` +
        `p99 ${milliseconds(result.p99)} ms, ${result.cpuUs.toFixed(0)} µs CPU/req`)
      runs.push(result)
    }
  }
  const after = await snapshot()

  const relayLag = topologies.map((topology, t) => {
    const lag = lagDuringRounds(before[t], after[t])
    const eventsPerReplica = after[t].map((buckets, i) => (buckets.get(Infinity) ?? 0) - (before[t][i].get(Infinity) ?? 0))
    return { topology: topology.name, p50: quantile(lag, 0.5), p99: quantile(lag, 0.99), eventsPerReplica }
  })
  const [rowOne, rowTwo] = medians(runs)
  const host = machine()
  const file = writeResults('replicas.json', {
    benchmark: 'POST /users through the gateway, one vs two users replicas on PostgreSQL',
    date: new Date().toISOString(),
    machine: host,
    settings: { ...settings, logLevel: LOG_LEVEL },
    summary: [rowOne, rowTwo],
    ratio: rowTwo.reqPerSec / rowOne.reqPerSec,
    relayLagMs: relayLag,
    runs
  })

  const lagShown = (value: number | undefined) => value === undefined ? '—' : milliseconds(value, 1)
  console.log(`POST /users via the gateway, users on PostgreSQL — ${settings.rounds} rounds × ${settings.duration} s, ${settings.connections} connections, ` +
    `LOG_LEVEL=${LOG_LEVEL}, ${host.cpus} cores, Node ${host.node}\n`)
  console.log(table(
    ['topology', 'runs', 'req/s', 'p50 ms', 'p99 ms', 'req/s ÷ one replica', 'CPU µs/req, gateway + users', 'relay lag p50 / p99 ms', 'events relayed per replica'],
    [rowOne, rowTwo].map((row, t) => [row.server, String(row.runs), requests(row.reqPerSec), milliseconds(row.p50), milliseconds(row.p99),
      row === rowOne ? '—' : `${(row.reqPerSec / rowOne.reqPerSec).toFixed(3)}×`, row.cpuUs!.toFixed(0),
      `${lagShown(relayLag[t].p50)} / ${lagShown(relayLag[t].p99)}`, relayLag[t].eventsPerReplica.join(' / ')]),
    'lrrrrrrrr'
  ))
  console.log('\nRelay lag: cleave_relay_lag_seconds{module="users"} of each replica (publication → delivery acknowledged by Redis), ' +
    'buckets summed over the replicas and the measured rounds; p50/p99 interpolated within a bucket as histogram_quantile does.')
  console.error(`\nwrote ${file}`)
} finally {
  await cleanUp()
}
