// npm run docs:metrics — writes docs/reference/metrics.md from the registries of real processes, built in
// memory (none listens). test/scripts/metrics-reference.test.ts fails when the file and the code differ.
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { buildApp } from '../src/platform/app/build-app.js'
import { buildGateway } from '../src/platform/app/build-gateway.js'
import { loadConfig } from '../src/platform/config/config.js'
import { serviceUrlKey } from '../src/platform/config/module-keys.js'
import { loadModuleRegistry, type ModuleRegistry } from '../src/platform/contracts/module-registry.js'
import { droppedDefaultMetrics, type Metrics } from '../src/platform/observability/metrics.js'
import { freePort } from '../test/helpers/process.js'
import { spawnRedisServer } from '../test/helpers/redis-process.js'

export const metricsFile = join(import.meta.dirname, '..', 'docs', 'reference', 'metrics.md')

// Nothing answers there: a connection is refused at once, and the apps keep retrying until closed.
const nowhere = { http: 'http://127.0.0.1:1', amqp: 'amqp://127.0.0.1:1' }

interface Built { metrics: Metrics, inject (url: string): Promise<unknown>, close (): Promise<unknown> }

/** A kind of process, built as its entry point builds it. */
interface Kind {
  name: string
  /** The plain kind this one adds a setting to: named for a metric only when the plain one lacks it. */
  variantOf?: string
  build (registry: ModuleRegistry, env: { DATA_DIR: string, LOG_LEVEL: string, REDIS_URL: string }): Promise<Built>
}

const processes: Kind[] = [
  { name: 'module process', build: (registry, { REDIS_URL, ...env }) => buildApp(loadConfig(env, registry), registry) },
  { name: 'module process with REDIS_URL', variantOf: 'module process', build: (registry, env) => buildApp(loadConfig(env, registry), registry) },
  // As src/bin/worker.ts builds it: Redis required, no module routes.
  { name: 'worker', build: (registry, env) => buildApp(loadConfig(env, registry), registry, { routes: false }) },
  {
    name: 'module process with AMQP_URL',
    variantOf: 'module process',
    build: (registry, { REDIS_URL, ...env }) => buildApp(loadConfig({ ...env, AMQP_URL: nowhere.amqp }, registry), registry)
  },
  {
    name: 'gateway',
    build: (registry, { LOG_LEVEL }) => {
      const services = Object.fromEntries([...registry.names, ...registry.external].map((module) => [serviceUrlKey(module), nowhere.http]))
      return buildGateway(loadConfig({ LOG_LEVEL, HEALTH_CHECK_INTERVAL_MS: '0', ...services }, registry), registry)
    }
  }
]

interface Row { name: string, type: string, help: string, labels: string[], processes: string[] }

/** What the registry holds of each metric (prom-client's types leave out get() and labelNames). */
interface Registered { name: string, type: unknown, help: string, labelNames?: string[], get (): Promise<{ values: Array<{ labels: object }> }> }

// A request first, so that a metric declaring no label names (the request durations) shows them on its series.
async function rowsOf (app: Built, kind: string): Promise<Row[]> {
  await app.inject('/health/live')
  const rows: Row[] = []
  for (const metric of app.metrics.registry.getMetricsAsArray() as unknown as Registered[]) {
    const { name, type, help, labelNames: declared } = metric
    const labels = declared ?? Object.keys((await metric.get()).values[0]?.labels ?? {}).filter((label) => label !== 'le')
    if (declared === undefined && labels.length === 0) throw new Error(`${name} declares no label names and has no series to read them from`)
    rows.push({ name, type: String(type), help, labels, processes: [kind] })
  }
  return rows
}

/** Every metric any kind of process registers, with the processes that serve it. */
export async function collectMetrics (): Promise<Row[]> {
  const registry = await loadModuleRegistry()
  const dir = mkdtempSync(join(tmpdir(), 'cleave-metrics-'))
  const port = await freePort()
  const all = new Map<string, Row>()
  let redis: ChildProcess | undefined
  try {
    redis = await spawnRedisServer(port, dir)
    for (const kind of processes) {
      const app = await kind.build(registry, { DATA_DIR: mkdtempSync(join(dir, 'data-')), LOG_LEVEL: 'silent', REDIS_URL: `redis://127.0.0.1:${port}` })
      try {
        for (const row of await rowsOf(app, kind.name)) {
          const known = all.get(row.name)
          if (known) known.processes.push(kind.name)
          else all.set(row.name, row)
        }
      } finally {
        await app.close()
      }
    }
  } finally {
    if (redis) {
      const exited = once(redis, 'exit')
      redis.kill('SIGKILL')
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  }
  // Not localeCompare: the order, and so the file, would depend on the machine's locale.
  return [...all.values()].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
}

// A | inside a cell would end it, even within backticks.
const cell = (text: string) => text.replaceAll('|', '\\|')

// A variant (with REDIS_URL, with AMQP_URL) is named only for what the plain process lacks.
function servedBy (names: string[]): string {
  if (names.length === processes.length) return 'every process'
  return processes.filter(({ name, variantOf }) => names.includes(name) && !(variantOf && names.includes(variantOf))).map(({ name }) => name).join(', ')
}

export async function metricsReference (): Promise<string> {
  const rows = await collectMetrics()
  return [
    '# Metrics',
    '',
    'Generated by `npm run docs:metrics`, which builds each kind of process in memory and reads its Prometheus registry:',
    'edit a metric\'s help where it is created, then run it. Every process serves them at `GET /metrics` unless',
    '`METRICS=false`.',
    '',
    '- a **module process** (`npm start`), built here with every module mounted, SQLite and no Redis;',
    '- the same **with REDIS_URL**, where events go through BullMQ queues, and a **worker** (`npm run worker`, always with Redis);',
    '- the same **with AMQP_URL**, where events also go to RabbitMQ (registered once it is set, connected or not, in a process',
    '  that publishes events or handles an external module\'s);',
    '- the **gateway** (`npm run gateway`), routing to every module.',
    '',
    'Every process registers the shared set (HTTP, calls, breakers, events); a metric with labels shows only its `# HELP`',
    'and `# TYPE` lines until something is counted, so the gateway\'s event metrics, for one, stay empty.',
    '',
    '| metric | type | labels | served by | help |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| \`${row.name}\` | ${row.type} | ${row.labels.map((label) => `\`${label}\``).join(', ') || '—'} | ${servedBy(row.processes)} | ${cell(row.help)} |`),
    '',
    'Besides these, each process serves prom-client\'s default metrics (`process_*` and `nodejs_*`: CPU, memory, event-loop',
    'lag, garbage collection, handles), collected once per process; which of them exist depends on the platform, so they',
    `are not listed here. Left out of them: ${droppedDefaultMetrics.map((name) => `\`${name}\``).join(', ')}, gauges that`,
    'prom-client names like counters; each is the sum of the by-type gauge of the same name without `_total`, which stays.',
    ''
  ].join('\n')
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  writeFileSync(metricsFile, await metricsReference())
  console.log('written docs/reference/metrics.md')
}
