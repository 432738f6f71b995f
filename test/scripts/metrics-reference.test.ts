// docs/reference/metrics.md is generated from the registries of real processes; a metric added or
// changed without regenerating fails here.
import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { metricsFile, metricsReference } from '../../scripts/metrics-reference.js'

const src = join(import.meta.dirname, '..', '..', 'src')
const reference = await metricsReference()

t.test('docs/reference/metrics.md is what the processes register', async (t) => {
  const written = existsSync(metricsFile) ? readFileSync(metricsFile, 'utf8') : ''
  t.equal(written, reference, 'docs/reference/metrics.md differs from the code: run npm run docs:metrics and commit the result')
})

t.test('the metrics that need Redis or RabbitMQ are there, with where they are served', async (t) => {
  t.match(reference, /\n\| `cleave_queue_jobs` \| gauge \| `queue`, `state` \| module process with REDIS_URL, worker \|/)
  t.match(reference, /\n\| `cleave_amqp_connected` \| gauge \| — \| module process with AMQP_URL \|/)
  t.match(reference, /\n\| `cleave_http_request_duration_seconds` \| histogram \| `method`, `route`, `status` \| every process \|/)
})

// A metric only some configuration registers would be missed by a process not built here.
t.test('every metric name written in src/ has a row', async (t) => {
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'))
  const names = new Set(files.flatMap((file) => [...readFileSync(join(src, file), 'utf8').matchAll(/['"](cleave_[a-z0-9_]+)['"]/g)].map((match) => match[1])))
  t.ok(names.size > 15, `${names.size} metric names in src/`)
  for (const name of names) t.match(reference, `\n| \`${name}\` |`, `${name} has a row`)
})
