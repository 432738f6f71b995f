// Where the full app's CPU goes on GET /users/:id: the compiled server under `node --cpu-prof`,
// loaded with autocannon, and its profile read back over the measured run only (start-up, seeding
// and warm-up left out), in µs per request: self time by package or platform file, and the time
// inside each of Cleave's own functions with what they call.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { load } from './load.js'
import { table } from './report.js'
import { startServer, stopServer, workspace } from './servers.js'
import { positiveInteger } from './settings.js'
import { seedUsers } from './seed.js'

const USERS = 1000

const settings = {
  duration: positiveInteger('BENCH_DURATION', 10),
  connections: positiveInteger('BENCH_CONNECTIONS', 10),
  warmup: positiveInteger('BENCH_WARMUP', 3),
  top: positiveInteger('BENCH_TOP', 25),
  logLevel: process.env.BENCH_LOG_LEVEL ?? 'warn'
}

interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface Profile { nodes: ProfileNode[], startTime: number, samples: number[], timeDeltas: number[] }

const root = join(import.meta.dirname, '..')

// A package by name, a file of Cleave's own by its path under dist/, Node's internals by module.
function groupOf (url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)'
  const path = url.replace(/^file:\/\//, '')
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(path)
  if (pkg) return pkg[1] === 'fastify' ? `fastify/${pkg[2]}` : pkg[1]
  if (path.startsWith(root)) return relative(root, path)
  return path.replace(/^node:internal\/(.*?)(\/[^/]*)?$/, 'node:$1')
}

function summarize (profile: Profile, from: number, to: number, requests: number) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const self = new Map<string, number>()
  const inside = new Map<string, number>()
  let time = profile.startTime
  let total = 0
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i]
    if (time < from || time > to) continue
    const delta = profile.timeDeltas[i + 1] ?? 0
    const node = byId.get(profile.samples[i])!
    const { functionName, url } = node.callFrame
    if (functionName === '(idle)') continue
    total += delta
    const group = groupOf(url, functionName)
    self.set(group, (self.get(group) ?? 0) + delta)
    const seen = new Set<string>()
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame
      if (!frame.url.startsWith(`file://${root}/dist/`)) continue
      const key = `${frame.functionName || '(anonymous)'} ${relative(join(root, 'dist'), frame.url.slice(7))}:${frame.lineNumber + 1}`
      if (seen.has(key)) continue
      seen.add(key)
      inside.set(key, (inside.get(key) ?? 0) + delta)
    }
  }
  const perRequest = (entries: Map<string, number>) => [...entries].sort((a, b) => b[1] - a[1]).slice(0, settings.top)
    .map(([name, us]) => [name, (us / requests).toFixed(2), `${(100 * us / total).toFixed(1)}%`])
  return { total: total / requests, self: perRequest(self), inside: perRequest(inside) }
}

const { dir, cleanUp } = workspace('profile')
try {
  const dataDir = join(dir, 'data')
  const seeder = await startServer('seeder', 'src/bin/server.ts', { MODULES: 'all', DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, join(dir, 'seeder.log'))
  const ids = await seedUsers(seeder, USERS)
  await stopServer(seeder)

  const profiles = join(dir, 'profiles')
  const server = await startServer(`full, LOG_LEVEL=${settings.logLevel}`, 'src/bin/server.ts',
    { MODULES: 'all', DATA_DIR: dataDir, LOG_LEVEL: settings.logLevel }, join(dir, 'server.log'), ['--cpu-prof', `--cpu-prof-dir=${profiles}`])
  const users = (duration: number) => load(server, { connections: settings.connections, duration, path: (n) => `/users/${ids[n % ids.length]}` })
  await users(settings.warmup)
  // The profile's clock is the monotonic one, in µs, which process.hrtime reads in every process.
  const from = Number(process.hrtime.bigint() / 1000n)
  const run = await users(settings.duration)
  const to = Number(process.hrtime.bigint() / 1000n)
  await stopServer(server)

  const file = readdirSync(profiles).find((name) => name.endsWith('.cpuprofile'))
  if (!file) throw new Error('no profile written')
  const { total, self, inside } = summarize(JSON.parse(readFileSync(join(profiles, file), 'utf8')) as Profile, from, to, run.requests)
  console.log(`GET /users/:id, full app at LOG_LEVEL=${settings.logLevel}, ${settings.duration} s at ${settings.connections} connections: ` +
    `${Math.round(run.reqPerSec)} req/s, ${total.toFixed(1)} µs of sampled main-thread CPU per request\n`)
  console.log(table(['self time in', 'µs/req', 'share'], self, 'lrr'))
  console.log()
  console.log(table(["Cleave's function (with what it calls)", 'µs/req', 'share'], inside, 'lrr'))
} finally {
  await cleanUp()
}
