// GET /users/:id on the full app (access log on, then off) against a bare Fastify + better-sqlite3
// floor; then GET /users/:id and POST /users on the full app storing in PostgreSQL, against a bare
// Fastify + drizzle node-postgres floor, on a database of the run's own.
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { load, measured, type LoadOptions } from './load.js'
import { benchDatabase, outboxDrained } from './postgres.js'
import { machine, markdownTable, summarize, writeResults, type Run } from './report.js'
import { startServer, stopServer, workspace, type Server } from './servers.js'
import { positiveInteger } from './settings.js'
import { assertSameUsers, seedUsers } from './seed.js'

const USERS = 1000
const BASELINE = 'bare'
const TARGETS = { 'full, LOG_LEVEL=info': 0.75, 'full, LOG_LEVEL=warn': 0.9 }
/** Ceilings on the server's CPU µs per request over the bare server's. */
const CPU_TARGETS = { 'full, LOG_LEVEL=info': 1.4, 'full, LOG_LEVEL=warn': 1.2 }

const settings = {
  duration: positiveInteger('BENCH_DURATION', 3),
  rounds: positiveInteger('BENCH_ROUNDS', 7),
  connections: positiveInteger('BENCH_CONNECTIONS', 10),
  warmup: positiveInteger('BENCH_WARMUP', 3),
  /** The app's own variable: both PostgreSQL servers open pools of this size. */
  poolMax: positiveInteger('DATABASE_POOL_MAX', 10),
  /** BENCH_POSTGRES=false: the SQLite rows only (no PostgreSQL server needed). */
  postgres: process.env.BENCH_POSTGRES !== 'false'
}

// PostgreSQL rows: one log level, warn, so the access log is not part of what is measured (the
// SQLite rows show what it costs). No targets: the ratios are reported only.
const PG_LOG_LEVEL = 'warn'
const PG_GET = { bare: 'bare, GET /users/:id', full: `full, GET /users/:id, LOG_LEVEL=${PG_LOG_LEVEL}` }
const PG_POST = { bare: 'bare, POST /users', full: `full, POST /users, LOG_LEVEL=${PG_LOG_LEVEL}` }

function loadUsers (server: Server, ids: number[], duration: number) {
  return measured([server], () => load(server, { connections: settings.connections, duration, path: (n) => `/users/${ids[n % ids.length]}` }))
}

// Every POST in the run has an email of its own: the two servers share one database.
let posted = 0
const newUser = () => { posted++; return { name: `Bench Poster ${posted}`, email: `poster${posted}@bench.example` } }

const postUsers: Omit<LoadOptions, 'connections' | 'duration'> = { path: () => '/users', body: () => JSON.stringify(newUser()), status: 201 }

// The bare server skips the app's validation and its outbox row, so only the answer's shape can match.
async function assertSameCreated (servers: Server[]): Promise<void> {
  const shapes = await Promise.all(servers.map(async (server) => {
    const user = newUser()
    const response = await fetch(`${server.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) })
    const text = await response.text()
    const body = JSON.parse(text) as Record<string, unknown>
    const shape = {
      status: response.status,
      contentType: response.headers.get('content-type'),
      keys: Object.keys(body),
      echoed: body.name === user.name && body.email === user.email,
      id: Number.isSafeInteger(body.id) && (body.id as number) > 0,
      location: response.headers.get('location') === `/users/${String(body.id)}`,
      createdAt: typeof body.createdAt === 'string' && new Date(body.createdAt).toISOString() === body.createdAt
    }
    return { shape, text }
  }))
  const expected = { status: 201, contentType: 'application/json; charset=utf-8', keys: ['id', 'name', 'email', 'createdAt'], echoed: true, id: true, location: true, createdAt: true }
  for (const [i, { shape, text }] of shapes.entries()) {
    if (!isDeepStrictEqual(shape, expected)) throw new Error(`${servers[i].name}: unexpected POST /users answer ${JSON.stringify(shape)}:\n${text}`)
  }
}

const { dir: workDir, closers, cleanUp } = workspace('users-get')
const dataDir = join(workDir, 'data')

interface PgStep { name: string, server: Server, options: Omit<LoadOptions, 'connections' | 'duration'>, settle: () => Promise<void> }

// The PostgreSQL servers on a database of the run's own, dropped at clean-up, also on failure or Ctrl-C.
async function postgresSteps (): Promise<PgStep[]> {
  const { name: database, url: databaseUrl } = await benchDatabase(closers)
  const pgEnv = { DATABASE_URL: databaseUrl, DATABASE_POOL_MAX: String(settings.poolMax) }
  const pgFull = await startServer(`full, PostgreSQL, LOG_LEVEL=${PG_LOG_LEVEL}`, 'src/bin/server.ts',
    { MODULES: 'all', DATA_DIR: join(workDir, 'pg-data'), LOG_LEVEL: PG_LOG_LEVEL, ...pgEnv }, join(workDir, 'full-postgres.log'))
  console.error(`seeding ${USERS} users in PostgreSQL database ${database}`)
  const pgIds = await seedUsers(pgFull, USERS)
  await outboxDrained(databaseUrl)
  const pgBare = await startServer('bare, PostgreSQL', 'bench/bare-postgres-server.ts', pgEnv, join(workDir, 'bare-postgres.log'))
  await assertSameUsers([pgBare, pgFull], pgIds)
  await assertSameCreated([pgBare, pgFull])
  const settle = () => outboxDrained(databaseUrl)
  const getUsers = { path: (n: number) => `/users/${pgIds[n % pgIds.length]}` }
  return [
    { name: PG_GET.bare, server: pgBare, options: getUsers, settle },
    { name: PG_GET.full, server: pgFull, options: getUsers, settle },
    { name: PG_POST.bare, server: pgBare, options: postUsers, settle },
    { name: PG_POST.full, server: pgFull, options: postUsers, settle }
  ]
}

try {
  const fullServer = (level: string) => startServer(`full, LOG_LEVEL=${level}`, 'src/bin/server.ts',
    { MODULES: 'all', DATA_DIR: dataDir, LOG_LEVEL: level }, join(workDir, `full-${level}.log`))

  // Seeded by a process of its own, stopped before anything is measured, so no measured server
  // carries the seeding's POSTs (JIT and heap state) into its reads.
  const seeder = await startServer('seeder', 'src/bin/server.ts', { MODULES: 'all', DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, join(workDir, 'seeder.log'))
  console.error(`seeding ${USERS} users`)
  const ids = await seedUsers(seeder, USERS)
  await stopServer(seeder)
  const info = await fullServer('info')
  const warn = await fullServer('warn')
  const bare = await startServer(BASELINE, 'bench/bare-server.ts', { DATA_DIR: dataDir }, join(workDir, 'bare.log'))
  await assertSameUsers([bare, info, warn], ids)

  const pgSteps = settings.postgres ? await postgresSteps() : []
  const pgRun = (step: PgStep, duration: number) =>
    measured([step.server], () => load(step.server, { connections: settings.connections, duration, ...step.options }), step.settle)

  for (const server of [bare, info, warn]) {
    console.error(`warming up ${server.name} for ${settings.warmup} s`)
    await loadUsers(server, ids, settings.warmup)
  }
  for (const step of pgSteps) {
    console.error(`warming up ${step.name} for ${settings.warmup} s`)
    await pgRun(step, settings.warmup)
  }

  // Interleaved so that drift in the machine's load falls on both sides of each ratio.
  const runs: Run[] = []
  const pgRuns: Run[] = []
  const report = (run: Run) => console.error(`round ${run.round}/${settings.rounds} ${run.server}: ${Math.round(run.reqPerSec)} req/s, p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms` +
    (run.cpuUs === undefined ? '' : `, ${run.cpuUs.toFixed(1)} µs CPU/req`))
  for (let round = 1; round <= settings.rounds; round++) {
    for (const server of [bare, info, bare, warn]) {
      const run = { round, server: server.name, ...await loadUsers(server, ids, settings.duration) }
      report(run)
      runs.push(run)
    }
    for (const step of pgSteps) {
      const run = { round, server: step.name, ...await pgRun(step, settings.duration) }
      report(run)
      pgRuns.push(run)
    }
  }

  const rows = summarize(runs, BASELINE, TARGETS, CPU_TARGETS)
  const pgRows = settings.postgres
    ? [
        ...summarize(pgRuns.filter((run) => run.server.includes('GET')), PG_GET.bare, { [PG_GET.full]: null }),
        ...summarize(pgRuns.filter((run) => run.server.includes('POST')), PG_POST.bare, { [PG_POST.full]: null })
      ]
    : []
  const host = machine()
  writeResults('users-get.json', {
    benchmark: 'GET /users/:id',
    date: new Date().toISOString(),
    machine: host,
    settings: { ...settings, users: USERS },
    summary: rows,
    runs,
    postgres: { logLevel: PG_LOG_LEVEL, summary: pgRows, runs: pgRuns }
  })

  console.log(`GET /users/:id — ${settings.rounds} rounds × ${settings.duration} s, ${settings.connections} connections, ` +
    `${host.cpus} cores, Node ${host.node}\n`)
  console.log(markdownTable(rows))
  if (settings.postgres) {
    console.log(`\nPostgreSQL (DATABASE_URL, pool of ${settings.poolMax}), GET /users/:id and POST /users — same rounds, ` +
      'full/bare within each route, server CPU counted until the outbox is drained\n')
    console.log(markdownTable(pgRows))
  }
} finally {
  await cleanUp()
}
