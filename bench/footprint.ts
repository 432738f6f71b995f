// Start-up time and memory of the compiled server with every module: how long `node
// dist/bin/server.js` takes to accept connections on an existing data folder, and its RSS under
// minutes of mixed load (reads of every module, writes whose events are relayed in-process).
import { spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { load } from './load.js'
import { machine, median, table, verdict, writeResults } from './report.js'
import { command, freePort, pidOf, productionEnv, startServer, stopProcess, stopServer, track, workspace, type Server } from './servers.js'
import { positiveInteger } from './settings.js'
import { seedUsers } from './seed.js'

const targets = { listeningMs: 500, rssMb: 120, growthMb: 2 }

const settings = {
  starts: positiveInteger('BENCH_STARTS', 7),
  minutes: positiveInteger('BENCH_MINUTES', 3),
  connections: positiveInteger('BENCH_CONNECTIONS', 10),
  /** Seconds between two RSS samples. */
  sampleEvery: positiveInteger('BENCH_SAMPLE_SECONDS', 10)
}

const serverScript = 'src/bin/server.ts'
const env = (dataDir: string) => ({ ...process.env, MODULES: 'all', DATA_DIR: dataDir, LOG_LEVEL: 'warn', DRAIN_DELAY_MS: '0', HOST: '127.0.0.1' })

function accepts (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

// From spawn to the first accepted TCP connection: the process is listening.
async function timeToListen (dataDir: string, logFile: string): Promise<number> {
  const port = await freePort()
  const output = openSync(logFile, 'a')
  const started = performance.now()
  const child = spawn(process.execPath, command(serverScript), { env: { ...env(dataDir), ...productionEnv(serverScript), PORT: String(port) }, stdio: ['ignore', output, output] })
  closeSync(output)
  track(child)
  try {
    while (!await accepts(port)) {
      if (child.exitCode !== null) throw new Error(`server exited while starting, see ${logFile}`)
      if (performance.now() - started > 30_000) throw new Error('not listening after 30 s')
      await sleep(2)
    }
    return performance.now() - started
  } finally {
    await stopProcess(child)
  }
}

function rssOf (server: Server): number {
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pidOf(server)}/status`, 'utf8'))?.[1]
  return Number(kb) / 1024
}

interface Sample { second: number, rssMb: number, heapUsedMb?: number, heapTotalMb?: number }

// What of the RSS is V8's heap (used, and reserved by V8), from the server's own /metrics; the
// rest is code, native allocations (SQLite's page caches, buffers) and the young generation's slack.
async function heapOf (server: Server): Promise<Pick<Sample, 'heapUsedMb' | 'heapTotalMb'>> {
  const text = await (await fetch(`${server.url}/metrics`)).text()
  const mb = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]) / 1024 / 1024
  return { heapUsedMb: mb('nodejs_heap_size_used_bytes'), heapTotalMb: mb('nodejs_heap_size_total_bytes') }
}

async function sampleOf (server: Server, started: number): Promise<Sample> {
  const rssMb = rssOf(server)
  return { second: Math.round((Date.now() - started) / 1000), rssMb, ...await heapOf(server) }
}

// Reads across the modules, with /metrics and /health now and then.
function mixedPath (ids: number[], orderIds: number[]): (n: number) => string {
  return (n) => {
    const id = ids[n % ids.length]
    switch (n % 8) {
      case 0: return `/users/${id}`
      case 1: return '/users?limit=20'
      case 2: return `/orders/${orderIds[n % orderIds.length]}`
      case 3: return '/service'
      case 4: return `/users/${id}`
      case 5: return n % 400 === 5 ? '/metrics' : '/health/ready'
      case 6: return `/notifications?userId=${id}`
      default: return `/users/${id}`
    }
  }
}

async function placeOrder (server: Server, userId: number, n: number): Promise<number> {
  const response = await fetch(`${server.url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, items: [{ sku: `SKU-${n % 50}`, qty: 1 }] })
  })
  const text = await response.text()
  if (response.status !== 201) throw new Error(`POST /orders: HTTP ${response.status} ${text}`)
  return (JSON.parse(text) as { id: number }).id
}

// One order every 20 ms: each is a call to users and an event relayed to notifications.
async function writeLoop (server: Server, ids: number[], until: number): Promise<number> {
  let written = 0
  while (Date.now() < until) {
    await placeOrder(server, ids[written % ids.length], written)
    written++
    await sleep(20)
  }
  return written
}

const { dir, cleanUp } = workspace('footprint')
try {
  const dataDir = join(dir, 'data')
  const logFile = join(dir, 'server.log')
  // The data folder exists and is migrated before any start is timed.
  const seeder = await startServer('seeder', serverScript, { MODULES: 'all', DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, logFile)
  const ids = await seedUsers(seeder, 200)
  const orderIds: number[] = []
  for (let n = 0; n < 50; n++) orderIds.push(await placeOrder(seeder, ids[n], n))
  await stopServer(seeder)

  const startTimes: number[] = []
  for (let i = 1; i <= settings.starts; i++) {
    startTimes.push(await timeToListen(dataDir, logFile))
    console.error(`start ${i}/${settings.starts}: listening after ${startTimes.at(-1)!.toFixed(0)} ms`)
  }

  const server = await startServer('full', serverScript, { MODULES: 'all', DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, logFile)
  const started = Date.now()
  const samples: Sample[] = [await sampleOf(server, started)]
  const idleMb = samples[0].rssMb
  const until = Date.now() + settings.minutes * 60_000
  const sampler = setInterval(() => { void sampleOf(server, started).then((sample) => samples.push(sample)) }, settings.sampleEvery * 1000)
  const [reads, writes] = await Promise.all([
    load(server, { connections: settings.connections, duration: settings.minutes * 60, path: mixedPath(ids, orderIds) }),
    writeLoop(server, ids, until)
  ])
  clearInterval(sampler)
  samples.push(await sampleOf(server, started))
  await stopServer(server)

  // RSS saws with the garbage collector, so a minute is judged by the median of its samples.
  const last = samples.at(-1)!
  const minute = (from: number, to: number) => median(samples.filter((sample) => sample.second > from && sample.second <= to).map((sample) => sample.rssMb))
  const lastMinute = minute(last.second - 60, last.second)
  const growth = lastMinute - minute(last.second - 120, last.second - 60)
  const listening = median(startTimes)
  const host = machine()
  const checks = [
    ['listening after launch (median)', `${listening.toFixed(0)} ms`, `≤ ${targets.listeningMs} ms`, verdict(listening <= targets.listeningMs)],
    [`RSS in the last minute of ${settings.minutes} of mixed load (median of its samples)`, `${lastMinute.toFixed(1)} MB`, `≤ ${targets.rssMb} MB`, verdict(lastMinute <= targets.rssMb)],
    ['RSS growth, last minute over the one before (medians)', `${growth >= 0 ? '+' : '−'}${Math.abs(growth).toFixed(1)} MB`, `≤ +${targets.growthMb} MB`, verdict(growth <= targets.growthMb)]
  ]
  writeResults('footprint.json', { benchmark: 'start-up and memory', date: new Date().toISOString(), machine: host, settings, targets, startTimes, samples, reads: reads.requests, writes })
  console.log(`Start-up and memory, MODULES=all, LOG_LEVEL=warn, ${host.cpus} cores, Node ${host.node}: ${settings.starts} starts ` +
    `(${startTimes.map((ms) => ms.toFixed(0)).join(', ')} ms), idle RSS ${idleMb.toFixed(1)} MB, then ${settings.minutes} min of mixed load ` +
    `(${reads.requests} reads at ${settings.connections} connections, ${writes} POST /orders)\n`)
  const mbs = (of: (sample: Sample) => number | undefined) => samples.map((sample) => of(sample)?.toFixed(0) ?? '?').join(', ')
  console.log(`RSS every ${settings.sampleEvery} s, MB: ${mbs((sample) => sample.rssMb)}`)
  console.log(`V8 heap used, MB: ${mbs((sample) => sample.heapUsedMb)}`)
  console.log(`V8 heap total, MB: ${mbs((sample) => sample.heapTotalMb)}\n`)
  console.log()
  console.log(table(['check', 'measured', 'target', 'result'], checks, 'lrrl'))
} finally {
  await cleanUp()
}
