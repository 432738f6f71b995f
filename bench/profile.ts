// Where the full app's CPU goes on GET /users/:id: the compiled server under `node --cpu-prof`,
// loaded with autocannon, and its profile read back over the measured run only (start-up, seeding
// and warm-up left out), in µs per request: self time by package or platform file, and the time
// inside each of Cleave's own functions with what they call (a callback hook's `done()` runs the
// rest of the request synchronously, so read that column for async work and leaves only).
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
  const selfByFunction = new Map<string, number>()
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
    const fn = `${functionName || '(anonymous)'} ${group}:${node.callFrame.lineNumber + 1}`
    selfByFunction.set(fn, (selfByFunction.get(fn) ?? 0) + delta)
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
  const perRequest = (entries: Map<string, number>) => new Map([...entries].map(([name, us]) => [name, us / requests]))
  return { total: total / requests, self: perRequest(self), selfByFunction: perRequest(selfByFunction), inside: perRequest(inside) }
}

function top (entries: Map<string, number>, total: number): string[][] {
  return [...entries].sort((a, b) => b[1] - a[1]).slice(0, settings.top).map(([name, us]) => [name, us.toFixed(2), `${(100 * us / total).toFixed(1)}%`])
}

function sideBySide (label: string, bare: Map<string, number>, full: Map<string, number>): string {
  const names = [...new Set([...bare.keys(), ...full.keys()])]
  const rows = names.map((name) => ({ name, bare: bare.get(name) ?? 0, full: full.get(name) ?? 0 }))
    .sort((a, b) => (b.full - b.bare) - (a.full - a.bare)).slice(0, settings.top)
  return table([label, 'bare µs/req', 'full µs/req', 'full − bare'],
    rows.map((row) => [row.name, row.bare.toFixed(2), row.full.toFixed(2), `${row.full - row.bare >= 0 ? '+' : '−'}${Math.abs(row.full - row.bare).toFixed(2)}`]), 'lrrr')
}

const { dir, cleanUp } = workspace('profile')
try {
  const dataDir = join(dir, 'data')
  const seeder = await startServer('seeder', 'src/bin/server.ts', { MODULES: 'all', DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, join(dir, 'seeder.log'))
  const ids = await seedUsers(seeder, USERS)
  await stopServer(seeder)

  // One server at a time, each under --cpu-prof, the profile read over its measured run only.
  async function profiled (name: string, script: string, env: Record<string, string>) {
    const profiles = join(dir, `profiles-${name}`)
    const server = await startServer(name, script, { DATA_DIR: dataDir, ...env }, join(dir, `${name}.log`), ['--cpu-prof', `--cpu-prof-dir=${profiles}`])
    const users = (duration: number) => load(server, { connections: settings.connections, duration, path: (n) => `/users/${ids[n % ids.length]}` })
    await users(settings.warmup)
    // The profile's clock is the monotonic one, in µs, which process.hrtime reads in every process.
    const from = Number(process.hrtime.bigint() / 1000n)
    const run = await users(settings.duration)
    const to = Number(process.hrtime.bigint() / 1000n)
    await stopServer(server)
    const file = readdirSync(profiles).find((entry) => entry.endsWith('.cpuprofile'))
    if (!file) throw new Error(`${name}: no profile written`)
    return { run, ...summarize(JSON.parse(readFileSync(join(profiles, file), 'utf8')) as Profile, from, to, run.requests) }
  }
  const bare = await profiled('bare', 'bench/bare-server.ts', {})
  const full = await profiled('full', 'src/bin/server.ts', { MODULES: 'all', LOG_LEVEL: settings.logLevel })

  console.log(`GET /users/:id, ${settings.duration} s at ${settings.connections} connections, each server under --cpu-prof, sampled main-thread CPU per request: ` +
    `bare ${bare.total.toFixed(1)} µs (${Math.round(bare.run.reqPerSec)} req/s), full at LOG_LEVEL=${settings.logLevel} ${full.total.toFixed(1)} µs (${Math.round(full.run.reqPerSec)} req/s)\n`)
  console.log(sideBySide('self time in', bare.self, full.self))
  console.log()
  console.log(sideBySide('self time in function', bare.selfByFunction, full.selfByFunction))
  console.log()
  console.log(table(["Cleave's function (with what it calls)", 'µs/req', 'share'], top(full.inside, full.total), 'lrr'))
} finally {
  await cleanUp()
}
