// npm run bench:peers (issue 29): GET /users/:id on Cleave against what a team would assemble with
// the same features (bench/peers/, its own package and lockfile) and against the bare floor, all
// on one seeded SQLite file, the same NODE_OPTIONS, alternating rounds; medians to results/peers.json.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { load, measured } from './load.js'
import { machine, median, milliseconds, requests, table, verdict, writeResults } from './report.js'
import { assertSameUsers, seedUsers } from './seed.js'
import { imageEnv, rssMb, startServer, stopServer, workspace, type Server } from './servers.js'
import { positiveInteger } from './settings.js'

const USERS = 1000
const PEERS = join(import.meta.dirname, 'peers')

const settings = {
  duration: positiveInteger('BENCH_DURATION', 3),
  rounds: positiveInteger('BENCH_ROUNDS', 7),
  connections: positiveInteger('BENCH_CONNECTIONS', 10),
  warmup: positiveInteger('BENCH_WARMUP', 3)
}

const BARE = 'bare Fastify + better-sqlite3'
const WARN = 'Cleave, LOG_LEVEL=warn'
const INFO = 'Cleave, LOG_LEVEL=info'
const OTLP = 'Cleave, LOG_LEVEL=info, OTLP export'
/** The floor: Cleave's CPU a request over bare's, and what span export may add, in µs. */
const TARGETS = { [WARN]: 1.2, [INFO]: 1.4, otlpAddsUs: 10 }

interface Peer { name: string, script: string, env?: Record<string, string>, nodeArgs?: string[] }

// npm ci when the peers' node_modules is missing or older than their lockfile.
function installPeers (): void {
  const installed = join(PEERS, 'node_modules', '.package-lock.json')
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(join(PEERS, 'package-lock.json')).mtimeMs) return
  console.error('installing the peers (bench/peers: npm ci)')
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: PEERS, stdio: ['ignore', 'inherit', 'inherit'] })
}

// What each row ran: the peers' pinned packages as installed, and what they share with Cleave.
function versions (): Record<string, string> {
  const version = (dir: string) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version
  const pinned = Object.keys((JSON.parse(readFileSync(join(PEERS, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies)
  const root = join(import.meta.dirname, '..')
  return {
    node: process.version,
    cleave: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim(),
    'better-sqlite3 (shared)': version(join(root, 'node_modules', 'better-sqlite3')),
    ...Object.fromEntries(pinned.map((name) => [name, version(join(PEERS, 'node_modules', name))]))
  }
}

async function exportsOf (sink: Server): Promise<number> {
  return ((await (await fetch(sink.url)).json()) as { exports: number }).exports
}

interface Sample { server: string, round: number, cpuUs: number, reqPerSec: number, p50: number, p99: number, rssMb: number, logBytes: number }

const { dir, cleanUp } = workspace('peers')
const dataDir = join(dir, 'data')

try {
  installPeers()
  const seeder = await startServer('seeder', 'src/bin/server.ts', { MODULES: 'all', DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, join(dir, 'seeder.log'))
  console.error(`seeding ${USERS} users`)
  const ids = await seedUsers(seeder, USERS)
  await stopServer(seeder)

  const sinks = { assembled: await startServer('OTLP sink', 'bench/peers/otlp-sink.mjs', {}, join(dir, 'sink-assembled.log')), cleave: await startServer('OTLP sink', 'bench/peers/otlp-sink.mjs', {}, join(dir, 'sink-cleave.log')) }
  const otel = (sink: Server) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_SERVICE_NAME: 'users' })
  const cleave = { MODULES: 'all' }
  const peers: Peer[] = [
    { name: BARE, script: 'bench/bare-server.ts' },
    { name: 'Fastify + helmet + rate-limit + metrics + request ids + pino at info + OpenTelemetry', script: 'bench/peers/fastify-assembled.mjs', env: { LOG_LEVEL: 'info', ...otel(sinks.assembled) }, nodeArgs: ['--import', './bench/peers/otel.mjs'] },
    { name: 'the same without OpenTelemetry', script: 'bench/peers/fastify-assembled.mjs', env: { LOG_LEVEL: 'info' } },
    { name: 'NestJS on Fastify, nestjs-pino at info + helmet', script: 'bench/peers/nest.mjs', env: { LOG_LEVEL: 'info' } },
    { name: WARN, script: 'src/bin/server.ts', env: { ...cleave, LOG_LEVEL: 'warn' } },
    { name: INFO, script: 'src/bin/server.ts', env: { ...cleave, LOG_LEVEL: 'info' } },
    { name: OTLP, script: 'src/bin/server.ts', env: { ...cleave, LOG_LEVEL: 'info', ...otel(sinks.cleave) } }
  ]
  // Every server on the same NODE_OPTIONS: the image's, which Cleave runs with in production.
  const servers: Server[] = []
  for (const [i, peer] of peers.entries()) {
    servers.push(await startServer(peer.name, peer.script, { DATA_DIR: dataDir, ...imageEnv(), ...peer.env }, join(dir, `server-${i}.log`), peer.nodeArgs))
  }
  await assertSameUsers(servers, ids)

  const run = (server: Server, duration: number) => measured([server], () =>
    load(server, { connections: settings.connections, duration, path: (n) => `/users/${ids[n % ids.length]}` }))
  for (const server of servers) {
    console.error(`warming up ${server.name} for ${settings.warmup} s`)
    await run(server, settings.warmup)
  }
  const exportsBefore = { assembled: await exportsOf(sinks.assembled), cleave: await exportsOf(sinks.cleave) }

  // Odd rounds in the order above, even rounds reversed: no server always runs after the same one.
  const samples: Sample[] = []
  for (let round = 1; round <= settings.rounds; round++) {
    for (const server of round % 2 === 1 ? servers : [...servers].reverse()) {
      const logged = statSync(server.log).size
      const result = await run(server, settings.duration)
      // What each logs a request (an access line or two, or none) is part of what it costs.
      const logBytes = (statSync(server.log).size - logged) / result.requests
      samples.push({ server: server.name, round, cpuUs: result.cpuUs, reqPerSec: result.reqPerSec, p50: result.p50, p99: result.p99, rssMb: rssMb(server), logBytes })
      console.error(`round ${round}/${settings.rounds} ${server.name}: ${result.cpuUs.toFixed(1)} µs/req, ${requests(result.reqPerSec)} req/s`)
    }
  }
  // A server that stopped exporting would look cheaper than one that exports.
  for (const key of ['assembled', 'cleave'] as const) {
    if (await exportsOf(sinks[key]) <= exportsBefore[key]) throw new Error(`${key}: no spans exported during the measured rounds`)
  }

  const results = peers.map((peer) => {
    const mine = samples.filter((sample) => sample.server === peer.name)
    const of = (key: keyof Omit<Sample, 'server' | 'round'>) => median(mine.map((sample) => sample[key]))
    return { name: peer.name, cpuUsPerRequest: of('cpuUs'), reqPerSec: of('reqPerSec'), p50Ms: of('p50'), p99Ms: of('p99'), rssMb: of('rssMb'), logBytesPerRequest: of('logBytes') }
  })
  const cpuOf = (name: string) => results.find((result) => result.name === name)!.cpuUsPerRequest
  const bare = cpuOf(BARE)
  const otlpAdds = cpuOf(OTLP) - cpuOf(INFO)
  const targets = [
    { check: `${WARN}: CPU ÷ bare`, measured: cpuOf(WARN) / bare, target: TARGETS[WARN] },
    { check: `${INFO}: CPU ÷ bare`, measured: cpuOf(INFO) / bare, target: TARGETS[INFO] },
    { check: 'OTLP export: µs a request it adds', measured: otlpAdds, target: TARGETS.otlpAddsUs }
  ].map((row) => ({ ...row, result: verdict(row.measured <= row.target) }))

  const host = machine()
  const pinned = versions()
  writeResults('peers.json', { benchmark: 'GET /users/:id, Cleave and its peers', date: new Date().toISOString(), machine: host, settings: { ...settings, users: USERS }, versions: pinned, servers: results, targets, samples })

  console.log(`GET /users/:id — ${settings.rounds} rounds × ${settings.duration} s, ${settings.connections} connections, ${host.cpus} cores (${host.cpu}), NODE_OPTIONS=${imageEnv().NODE_OPTIONS ?? ''}\n`)
  console.log(Object.entries(pinned).map(([name, version]) => `${name} ${version}`).join(', '), '\n')
  console.log(table(['server', 'CPU µs/req', '÷ bare', 'req/s', 'p50 ms', 'p99 ms', 'RSS MB', 'log bytes/req'], results.map((result) => [
    result.name, result.cpuUsPerRequest.toFixed(1), `${(result.cpuUsPerRequest / bare).toFixed(2)}×`, requests(result.reqPerSec),
    milliseconds(result.p50Ms), milliseconds(result.p99Ms), result.rssMb.toFixed(0), result.logBytesPerRequest.toFixed(0)
  ]), 'lrrrrrrr'))
  console.log()
  console.log(table(['check', 'measured', 'target', 'result'], targets.map((row) => [
    row.check, row.check.startsWith('OTLP') ? `${row.measured.toFixed(1)} µs` : `${row.measured.toFixed(2)}×`,
    row.check.startsWith('OTLP') ? `≤ ${row.target} µs` : `≤ ${row.target.toFixed(2)}×`, row.result
  ]), 'lrrl'))
} finally {
  await cleanUp()
}
