// What an exported span costs before it leaves: the SDK's span (start, attributes, end, batched)
// and its OTLP encoding, JSON against protobuf, on the same batch of 512 spans, in this process.
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace'
import { setTimeout as sleep } from 'node:timers/promises'
import { median, table } from './report.js'
import { positiveInteger } from './settings.js'

const settings = { rounds: positiveInteger('BENCH_ROUNDS', 7), spans: positiveInteger('BENCH_SPANS', 20_000) }

let batch: ReadableSpan[] = []
const provider = new TracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'cleave:users' }),
  spanProcessors: [new BatchSpanProcessor({ exporter: { export (spans, done) { batch = spans; done({ code: 0 }) }, async shutdown () {} }, scheduledDelayMillis: 5000 })]
})
const tracer = provider.getTracer('cleave')

// The attributes of Cleave's server span on GET /users/:id.
function oneSpan (): void {
  const span = tracer.startSpan('GET /users/:id', { kind: 1, attributes: { 'http.request.method': 'GET', 'http.route': '/users/:id', 'url.path': '/users/7' } })
  span.setAttributes({ 'http.response.status_code': 200 })
  span.end()
}

function microsEach (count: number, work: () => void): number {
  const start = process.hrtime.bigint()
  for (let i = 0; i < count; i++) work()
  return Number(process.hrtime.bigint() - start) / 1000 / count
}

const samples = { span: [] as number[], json: [] as number[], protobuf: [] as number[] }
let bytes = { json: 0, protobuf: 0 }
for (let round = 0; round <= settings.rounds; round++) {
  const span = microsEach(settings.spans, oneSpan)
  await sleep(10)
  const json = microsEach(40, () => { bytes.json = JsonTraceSerializer.serializeRequest(batch)!.length }) / batch.length
  const protobuf = microsEach(40, () => { bytes.protobuf = ProtobufTraceSerializer.serializeRequest(batch)!.length }) / batch.length
  // Round 0 warms the JIT up.
  if (round === 0) continue
  samples.span.push(span)
  samples.json.push(json)
  samples.protobuf.push(protobuf)
}
bytes = { json: bytes.json / batch.length, protobuf: bytes.protobuf / batch.length }
await provider.shutdown()

console.log(`One span, ${settings.rounds} rounds (medians), batches of ${batch.length}, Node ${process.version}\n`)
console.log(table(['step', 'µs a span', 'bytes a span'], [
  ['start, attributes, end (batch processor)', median(samples.span).toFixed(2), '—'],
  ['encode, OTLP JSON', median(samples.json).toFixed(2), bytes.json.toFixed(0)],
  ['encode, OTLP protobuf', median(samples.protobuf).toFixed(2), bytes.protobuf.toFixed(0)]
], 'lrr'))
