// How long a PATCH /admin/config on one instance takes to be in force on the others: three real
// server processes on one private redis-server; each change is made on one instance and the
// others are polled (every 2 ms) until they report the new version. Target: within 1 s.
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { startRedisServer } from './redis-server.js'
import { machine, median, milliseconds, table, verdict, writeResults } from './report.js'
import { startServer, workspace, type Server } from './servers.js'
import { positiveInteger } from './settings.js'

const TARGET_MS = 1000
const changes = positiveInteger('BENCH_CHANGES', 50)
const token = 'bench-admin-token-0123456789'
const auth = { authorization: `Bearer ${token}` }

async function version (server: Server): Promise<number> {
  const response = await fetch(`${server.url}/admin/config`, { headers: auth })
  return ((await response.json()) as { version: number }).version
}

const { dir, cleanUp } = workspace('config-propagation')
try {
  const redis = await startRedisServer(dir)
  const env = { MODULES: 'hello', REDIS_URL: redis.url, ADMIN_TOKEN: token, LOG_LEVEL: 'warn', DATA_DIR: join(dir, 'data') }
  const servers = await Promise.all(['a', 'b', 'c'].map((name) => startServer(name, 'src/bin/server.ts', env, join(dir, `${name}.log`))))
  const delays: number[] = []
  for (let i = 1; i <= changes; i++) {
    const [writer, ...readers] = [...servers.slice(i % 3), ...servers.slice(0, i % 3)]
    const started = performance.now()
    const response = await fetch(`${writer.url}/admin/config`, {
      method: 'PATCH',
      headers: { ...auth, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ features: { [`flag-${i % 5}`]: i % 2 === 0 } })
    })
    if (response.status !== 200) throw new Error(`PATCH answered ${response.status}: ${await response.text()}`)
    const { version: written } = await response.json() as { version: number }
    await Promise.all(readers.map(async (reader) => {
      while (await version(reader) < written) {
        if (performance.now() - started > 10_000) throw new Error(`${reader.name} did not apply version ${written} within 10 s`)
        await sleep(2)
      }
      delays.push(performance.now() - started)
    }))
  }
  delays.sort((a, b) => a - b)
  const p99 = delays[Math.min(delays.length - 1, Math.ceil(delays.length * 0.99) - 1)]
  const max = delays[delays.length - 1]
  console.log(`PATCH on one instance → in force on the other two — ${changes} changes, 3 server processes, one redis-server, ${machine().cpus} cores, Node ${machine().node}\n`)
  console.log(table(['measure', 'ms'], [['p50', milliseconds(median(delays))], ['p99', milliseconds(p99)], ['max', milliseconds(max)]], 'lr'))
  console.log()
  console.log(table(['check', 'measured', 'target', 'result'], [['slowest instance to apply a change', `${milliseconds(max)} ms`, `≤ ${TARGET_MS} ms`, verdict(max <= TARGET_MS)]], 'lrrl'))
  writeResults('config-propagation.json', { changes, delaysMs: delays, p50: median(delays), p99, max })
} finally {
  await cleanUp()
}
process.exit(0)
