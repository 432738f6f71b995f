import t from 'tap'
import { runFuzz } from './fuzz.js'
import { startSplit } from '../topology/topologies.js'

const seed = Number(process.env.FUZZ_SEED ?? 20261127)

// Through the gateway: what /docs/json merges is what is fuzzed (the split runs hello, orders, proxy, users).
t.test('fuzzing every operation through the gateway of a split: no 5xx, errors are problem+json, data is what was accepted', async (t) => {
  const { gateway, services } = await startSplit(t, { env: { LOG_LEVEL: 'warn' } })
  const stats = await runFuzz(t, gateway.url, { runs: Number(process.env.FUZZ_RUNS ?? 1000), seed })
  t.comment(`requests by kind ${JSON.stringify(stats.byKind)}; by status ${JSON.stringify(stats.byStatus)}`)
  t.ok(stats.requests >= 1000 || process.env.FUZZ_RUNS !== undefined, 'a thousand requests were sent')
  const errors = [gateway, ...Object.values(services).flat()].flatMap((process) => process.logs.filter((line) => (line.level as number) >= 50))
  t.same(errors, [], 'no process logged an error')
})
