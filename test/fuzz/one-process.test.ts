import t from 'tap'
import { runFuzz } from './fuzz.js'
import { startMonolith } from '../topology/topologies.js'

const seed = Number(process.env.FUZZ_SEED ?? 20261126)

t.test('fuzzing every operation of one process: no 5xx, errors are problem+json, data is what was accepted', async (t) => {
  const server = await startMonolith(t)
  const stats = await runFuzz(t, server.url, { runs: Number(process.env.FUZZ_RUNS ?? 2000), seed })
  t.comment(`requests by kind ${JSON.stringify(stats.byKind)}; by status ${JSON.stringify(stats.byStatus)}`)
  t.ok(stats.requests >= 2000 || process.env.FUZZ_RUNS !== undefined, 'thousands of requests were sent')
  t.same(server.logs.filter((line) => (line.level as number) >= 50), [], 'the server logged no error')
})
