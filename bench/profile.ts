// Where the CPU goes, side by side: GET /users/:id on the full app against bare Fastify
// (BENCH_PROFILE=route, the default), or GET /orders/:id split (orders calling users over HTTP,
// both processes) against one process (BENCH_PROFILE=hop). Each process runs compiled under
// `node --cpu-prof`, loaded with autocannon, its profile read back over the measured run only
// (start-up, seeding and warm-up left out), in µs per request: self time by package or platform
// file, and the time inside each of Cleave's own functions with what they call (a callback hook's
// `done()` runs the rest of the request synchronously, so read that column for async work and leaves only).
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { load } from './load.js'
import { table } from './report.js'
import { startServer, stopServer, workspace, type Server } from './servers.js'
import { positiveInteger } from './settings.js'
import { seedOrders, seedUsers } from './seed.js'

const USERS = 1000
const ORDERS = 1000

const settings = {
  duration: positiveInteger('BENCH_DURATION', 10),
  connections: positiveInteger('BENCH_CONNECTIONS', 10),
  warmup: positiveInteger('BENCH_WARMUP', 3),
  top: positiveInteger('BENCH_TOP', 25),
  logLevel: process.env.BENCH_LOG_LEVEL ?? 'warn',
  profile: process.env.BENCH_PROFILE ?? 'route'
}
if (settings.profile !== 'route' && settings.profile !== 'hop') throw new Error(`BENCH_PROFILE: expected route or hop, got ${JSON.stringify(settings.profile)}`)

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

type Summary = ReturnType<typeof summarize>

// A topology's processes together: each map's µs per request added up.
function merged (summaries: Summary[]): Summary {
  const add = (maps: Array<Map<string, number>>) => {
    const sum = new Map<string, number>()
    for (const map of maps) for (const [name, us] of map) sum.set(name, (sum.get(name) ?? 0) + us)
    return sum
  }
  return {
    total: summaries.reduce((sum, summary) => sum + summary.total, 0),
    self: add(summaries.map((summary) => summary.self)),
    selfByFunction: add(summaries.map((summary) => summary.selfByFunction)),
    inside: add(summaries.map((summary) => summary.inside))
  }
}

function sideBySide (label: string, [floor, measured]: [string, string], bare: Map<string, number>, full: Map<string, number>): string {
  const names = [...new Set([...bare.keys(), ...full.keys()])]
  const rows = names.map((name) => ({ name, bare: bare.get(name) ?? 0, full: full.get(name) ?? 0 }))
    .sort((a, b) => (b.full - b.bare) - (a.full - a.bare)).slice(0, settings.top)
  return table([label, `${floor} µs/req`, `${measured} µs/req`, `${measured} − ${floor}`],
    rows.map((row) => [row.name, row.bare.toFixed(2), row.full.toFixed(2), `${row.full - row.bare >= 0 ? '+' : '−'}${Math.abs(row.full - row.bare).toFixed(2)}`]), 'lrrr')
}

interface Process { name: string, script: string, env: (started: Server[]) => Record<string, string> }

const { dir, cleanUp } = workspace('profile')
try {
  const dataDir = join(dir, 'data')
  const seeder = await startServer('seeder', 'src/bin/server.ts', { MODULES: 'all', DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, join(dir, 'seeder.log'))
  const ids = settings.profile === 'hop' ? await seedOrders(seeder, USERS / 5, ORDERS) : await seedUsers(seeder, USERS)
  await stopServer(seeder)
  const route = settings.profile === 'hop' ? '/orders' : '/users'

  // One topology at a time, each process under --cpu-prof, the profiles read over the measured
  // run only; the load goes to the last process started.
  async function profiled (processes: Process[]) {
    const started: Array<{ server: Server, profiles: string }> = []
    for (const { name, script, env } of processes) {
      const profiles = join(dir, `profiles-${name.replaceAll(/\W+/g, '-')}`)
      const server = await startServer(name, script, { DATA_DIR: dataDir, ...env(started.map((entry) => entry.server)) }, join(dir, `${name}.log`), ['--cpu-prof', `--cpu-prof-dir=${profiles}`])
      started.push({ server, profiles })
    }
    const entry = started.at(-1)!.server
    const requests = (duration: number) => load(entry, { connections: settings.connections, duration, path: (n) => `${route}/${ids[n % ids.length]}` })
    await requests(settings.warmup)
    // The profile's clock is the monotonic one, in µs, which process.hrtime reads in every process.
    const from = Number(process.hrtime.bigint() / 1000n)
    const run = await requests(settings.duration)
    const to = Number(process.hrtime.bigint() / 1000n)
    for (const { server } of started.reverse()) await stopServer(server)
    const summaries = started.map(({ server, profiles }) => {
      const file = readdirSync(profiles).find((name) => name.endsWith('.cpuprofile'))
      if (!file) throw new Error(`${server.name}: no profile written`)
      return summarize(JSON.parse(readFileSync(join(profiles, file), 'utf8')) as Profile, from, to, run.requests)
    })
    return { run, ...merged(summaries) }
  }
  const cleave = (name: string, modules: string, env: (started: Server[]) => Record<string, string> = () => ({})): Process =>
    ({ name, script: 'src/bin/server.ts', env: (started) => ({ MODULES: modules, LOG_LEVEL: settings.logLevel, ...env(started) }) })
  const [labels, floor, measured] = settings.profile === 'hop'
    ? [['one process', 'split'] as [string, string], [cleave('one process', 'all')], [cleave('users', 'users'), cleave('orders', 'orders', ([users]) => ({ SERVICE_USERS_URL: users.url }))]]
    : [['bare', 'full'] as [string, string], [{ name: 'bare', script: 'bench/bare-server.ts', env: () => ({}) }], [cleave('full', 'all')]]
  const bare = await profiled(floor)
  const full = await profiled(measured)

  console.log(`GET ${route}/:id, ${settings.duration} s at ${settings.connections} connections, each process under --cpu-prof at LOG_LEVEL=${settings.logLevel}, ` +
    `sampled main-thread CPU per request, all of a topology's processes: ${labels[0]} ${bare.total.toFixed(1)} µs (${Math.round(bare.run.reqPerSec)} req/s), ` +
    `${labels[1]} ${full.total.toFixed(1)} µs (${Math.round(full.run.reqPerSec)} req/s)\n`)
  console.log(sideBySide('self time in', labels, bare.self, full.self))
  console.log()
  console.log(sideBySide('self time in function', labels, bare.selfByFunction, full.selfByFunction))
  console.log()
  console.log(sideBySide("Cleave's function (with what it calls)", labels, bare.inside, full.inside))
} finally {
  await cleanUp()
}
