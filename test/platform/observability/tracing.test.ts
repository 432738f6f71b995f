import t, { type Test } from 'tap'
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadConfig } from '../../../src/platform/config/config.js'
import { buildGateway } from '../../../src/platform/app/build-gateway.js'
import { continueTrace, parseTraceparent, traceparentOf } from '../../../src/platform/observability/tracing/index.js'
import { buildTestApp } from '../../helpers/app.js'
import { registry } from '../../helpers/modules.js'

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
const parentId = '00f067aa0ba902b7'
const valid = `00-${traceId}-${parentId}-01`
const spanId = /^[0-9a-f]{16}$/
const newTraceId = /^[0-9a-f]{32}$/

t.test('traceparent: version 00 in the exact format is read', async (t) => {
  t.same(parseTraceparent(valid), { traceId, parentId, flags: '01' })
  t.same(parseTraceparent(`00-${traceId}-${parentId}-00`), { traceId, parentId, flags: '00' })
  t.same(parseTraceparent(`00-${traceId}-${parentId}-03`)?.flags, '01', 'unknown flag bits are not passed on')
  t.same(parseTraceparent(`cc-${traceId}-${parentId}-01`), { traceId, parentId, flags: '01' }, 'a later version is read by its 00 prefix')
  t.same(parseTraceparent(`cc-${traceId}-${parentId}-01-what-comes-next`), { traceId, parentId, flags: '01' })
})

t.test('traceparent: anything else is refused', async (t) => {
  const refused: Record<string, string | undefined> = {
    absent: undefined,
    empty: '',
    'version ff': `ff-${traceId}-${parentId}-01`,
    'version not hex': `0g-${traceId}-${parentId}-01`,
    'version 00 with more after it': `00-${traceId}-${parentId}-01-extra`,
    'a later version with more, not after a dash': `cc-${traceId}-${parentId}-01x`,
    'upper-case trace id': `00-${traceId.toUpperCase()}-${parentId}-01`,
    'upper-case parent id': `00-${traceId}-${parentId.toUpperCase()}-01`,
    'all-zero trace id': `00-${'0'.repeat(32)}-${parentId}-01`,
    'all-zero parent id': `00-${traceId}-${'0'.repeat(16)}-01`,
    'short trace id': `00-${traceId.slice(1)}-${parentId}-01`,
    'long trace id': `00-${traceId}0-${parentId}-01`,
    'short parent id': `00-${traceId}-${parentId.slice(1)}-01`,
    'long parent id': `00-${traceId}-${parentId}0-01`,
    'one-digit flags': `00-${traceId}-${parentId}-1`,
    'flags not hex': `00-${traceId}-${parentId}-0z`,
    'wrong separators': `00_${traceId}_${parentId}_01`
  }
  for (const [why, value] of Object.entries(refused)) t.equal(parseTraceparent(value), undefined, why)
})

t.test('a valid traceparent is continued with a new span; an invalid one starts a new trace', async (t) => {
  const continued = continueTrace(valid, 'vendor=opaque')
  t.match(continued, { traceId, parentId, flags: '01', tracestate: 'vendor=opaque' })
  t.match(continued.spanId, spanId)
  t.not(continued.spanId, parentId)
  t.equal(traceparentOf(continued), `00-${traceId}-${continued.spanId}-01`, 'the next hop\'s parent is this span')

  const fresh = continueTrace(`00-${traceId.toUpperCase()}-${parentId}-01`, 'vendor=opaque')
  t.match(fresh.traceId, newTraceId)
  t.not(fresh.traceId, traceId)
  t.equal(fresh.parentId, undefined)
  t.equal(fresh.tracestate, undefined, 'a tracestate is dropped with an invalid traceparent')
  t.not(continueTrace(undefined).traceId, continueTrace(undefined).traceId, 'each new trace has its own id')
  t.equal(continueTrace(valid, 'x'.repeat(513)).tracestate, undefined, 'an oversized tracestate is dropped')
})

// A stand-in upstream that records what reached it. The trace headers are what is under test.
async function recordingServer (t: Test, body: unknown) {
  const seen: IncomingHttpHeaders[] = []
  const server = createServer((request, response) => {
    seen.push(request.headers)
    response.setHeader('content-type', typeof body === 'string' ? 'text/plain' : 'application/json')
    response.end(typeof body === 'string' ? body : JSON.stringify(body))
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

t.test('a service call carries the caller\'s trace, with the caller\'s span as parent', async (t) => {
  const users = await recordingServer(t, { id: 1, name: 'Ada', email: 'ada@example.com', createdAt: new Date().toISOString() })
  // No health checks: they are requests too, and one landing between the calls took their place here.
  const app = await buildTestApp(t, { modules: ['orders'], env: { SERVICE_USERS_URL: users.url, HEALTH_CHECK_INTERVAL_MS: '0' } })
  const res = await app.inject({
    method: 'POST',
    url: '/orders',
    headers: { traceparent: valid, tracestate: 'vendor=opaque' },
    payload: { userId: 1, items: [{ sku: 'A-1', qty: 1 }] }
  })
  t.equal(res.statusCode, 201, res.body)
  const sent = parseTraceparent(users.seen[0].traceparent as string)
  t.equal(sent?.traceId, traceId, 'same trace')
  t.match(sent?.parentId, spanId)
  t.not(sent?.parentId, parentId, 'the parent is the orders span, not its caller\'s')
  t.equal(sent?.flags, '01')
  t.equal(users.seen[0].tracestate, 'vendor=opaque')

  await app.inject({ method: 'POST', url: '/orders', payload: { userId: 1, items: [{ sku: 'A-1', qty: 1 }] } })
  const started = parseTraceparent(users.seen[1].traceparent as string)
  t.match(started?.traceId, newTraceId, 'without a traceparent, a new trace is made and still passed on')
})

t.test('the gateway passes a child traceparent on; with TRACING=false the headers pass as they came', async (t) => {
  const hello = await recordingServer(t, 'Hello')
  const gateway = await buildGateway(loadConfig({ LOG_LEVEL: 'silent', SERVICE_HELLO_URL: hello.url }, registry), registry, { modules: ['hello'] })
  t.teardown(() => gateway.close())
  await gateway.inject({ url: '/service', headers: { traceparent: valid, tracestate: 'vendor=opaque' } })
  const sent = parseTraceparent(hello.seen[0].traceparent as string)
  t.equal(sent?.traceId, traceId)
  t.not(sent?.parentId, parentId, 'the gateway\'s own span is the parent')
  t.equal(hello.seen[0].tracestate, 'vendor=opaque')

  await gateway.inject({ url: '/service', headers: { traceparent: `ff-${traceId}-${parentId}-01`, tracestate: 'vendor=opaque' } })
  t.not(parseTraceparent(hello.seen[1].traceparent as string)?.traceId, traceId, 'an invalid traceparent: a new trace')
  t.equal(hello.seen[1].tracestate, undefined, 'and its tracestate is dropped')

  const off = await buildGateway(loadConfig({ LOG_LEVEL: 'silent', SERVICE_HELLO_URL: hello.url, TRACING: 'false' }, registry), registry, { modules: ['hello'] })
  t.teardown(() => off.close())
  await off.inject({ url: '/service', headers: { traceparent: valid, tracestate: 'vendor=opaque' } })
  t.equal(hello.seen[2].traceparent, valid, 'tracing off: relayed unchanged')
  await off.inject('/service')
  t.equal(hello.seen[3].traceparent, undefined, 'and none is made')
})

t.test('request.trace is the request\'s span; TRACING=false leaves it undefined', async (t) => {
  for (const tracing of ['true', 'false']) {
    const app = await buildTestApp(t, { modules: ['hello'], env: { TRACING: tracing } })
    app.get('/trace', async (request) => ({ trace: request.trace ?? null }))
    const { trace } = (await app.inject({ url: '/trace', headers: { traceparent: valid } })).json()
    if (tracing === 'true') t.match(trace, { traceId, parentId, flags: '01', spanId })
    else t.equal(trace, null)
  }
})
