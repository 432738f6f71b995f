// GET /users/:id on the full app (access log on, then off) against a bare Fastify + better-sqlite3 floor.
import { join } from 'node:path'
import { load } from './load.js'
import { machine, markdownTable, summarize, writeResults, type Run } from './report.js'
import { startServer, workspace, type Server } from './servers.js'
import { positiveInteger } from './settings.js'
import { seedUsers } from './seed.js'

const USERS = 1000
const BASELINE = 'bare'
const TARGETS = { 'full, LOG_LEVEL=info': 0.75, 'full, LOG_LEVEL=warn': 0.9 }

const settings = {
  duration: positiveInteger('BENCH_DURATION', 5),
  rounds: positiveInteger('BENCH_ROUNDS', 3),
  connections: positiveInteger('BENCH_CONNECTIONS', 10),
  warmup: positiveInteger('BENCH_WARMUP', 3)
}

// A faster baseline that answers differently would make the ratio meaningless, so compare bytes first.
async function assertSameAnswers (servers: Server[], ids: number[]): Promise<void> {
  for (const id of [ids[0], ids[Math.floor(ids.length / 2)], ids[ids.length - 1]]) {
    const bodies = await Promise.all(servers.map(async (server) => (await fetch(`${server.url}/users/${id}`)).text()))
    if (new Set(bodies).size !== 1) throw new Error(`servers disagree on /users/${id}:\n${bodies.join('\n')}`)
  }
}

function loadUsers (server: Server, ids: number[], duration: number) {
  return load(server, { connections: settings.connections, duration, path: (n) => `/users/${ids[n % ids.length]}` })
}

const { dir: workDir, cleanUp } = workspace('users-get')
const dataDir = join(workDir, 'data')

try {
  const fullServer = (level: string) => startServer(`full, LOG_LEVEL=${level}`, 'src/bin/server.ts',
    { MODULES: 'all', DATA_DIR: dataDir, LOG_LEVEL: level }, join(workDir, `full-${level}.log`))

  const info = await fullServer('info')
  console.error(`seeding ${USERS} users`)
  const ids = await seedUsers(info, USERS)
  const warn = await fullServer('warn')
  const bare = await startServer(BASELINE, 'bench/bare-server.ts', { DATA_DIR: dataDir }, join(workDir, 'bare.log'))
  await assertSameAnswers([bare, info, warn], ids)

  for (const server of [bare, info, warn]) {
    console.error(`warming up ${server.name} for ${settings.warmup} s`)
    await loadUsers(server, ids, settings.warmup)
  }

  // Interleaved so that drift in the machine's load falls on both sides of each ratio.
  const runs: Run[] = []
  for (let round = 1; round <= settings.rounds; round++) {
    for (const server of [bare, info, bare, warn]) {
      const run = { round, server: server.name, ...await loadUsers(server, ids, settings.duration) }
      console.error(`round ${round}/${settings.rounds} ${server.name}: ${Math.round(run.reqPerSec)} req/s, p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms`)
      runs.push(run)
    }
  }

  const rows = summarize(runs, BASELINE, TARGETS)
  const host = machine()
  writeResults('users-get.json', { benchmark: 'GET /users/:id', date: new Date().toISOString(), machine: host, settings: { ...settings, users: USERS }, summary: rows, runs })

  console.log(`GET /users/:id — ${settings.rounds} rounds × ${settings.duration} s, ${settings.connections} connections, ` +
    `${host.cpus} cores, Node ${host.node}\n`)
  console.log(markdownTable(rows))
} finally {
  await cleanUp()
}
