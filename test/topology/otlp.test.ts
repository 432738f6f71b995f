import t from 'tap'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { once } from 'node:events'
import type { Test } from 'tap'
import { startRedis } from '../helpers/redis.js'
import { tempDir } from '../helpers/app.js'
import { logLine, startProcess } from '../helpers/process.js'
import { decodeTraceRequest } from '../helpers/otlp-protobuf.js'
import { until } from '../helpers/until.js'
import { startTracedSplit } from './topologies.js'

interface Attribute { key: string, value: { stringValue?: string, intValue?: string | number, boolValue?: boolean } }
interface ExportedSpan { service: string, traceId: string, spanId: string, parentSpanId: string, name: string, kind: number, attributes: Record<string, unknown>, status: { code?: number } }

// OTLP JSON carries ids as hex; protobuf-style base64 is read too, so a change of encoding fails on ids, not on parsing.
const hex = (id: string | undefined) => !id ? '' : /^[0-9a-f]+$/.test(id) ? id : Buffer.from(id, 'base64').toString('hex')
const valueOf = ({ value }: Attribute) => value.stringValue ?? (value.intValue === undefined ? value.boolValue : Number(value.intValue))
const attributesOf = (list: Attribute[] = []) => Object.fromEntries(list.map((attribute) => [attribute.key, valueOf(attribute)]))

// A minimal OTLP/HTTP collector: every POST /v1/traces body, protobuf or JSON, flattened to spans.
async function startReceiver (t: Test) {
  const spans: ExportedSpan[] = []
  const posts: string[] = []
  const server = createServer(async (req, res) => {
    posts.push(`${req.method} ${req.url} ${req.headers['content-type']}`)
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks)
    const body = (req.headers['content-type'] === 'application/x-protobuf' ? decodeTraceRequest(raw) : JSON.parse(raw.toString())) as { resourceSpans: Array<{ resource: { attributes: Attribute[] }, scopeSpans: Array<{ spans: Array<Record<string, unknown>> }> }> }
    for (const { resource, scopeSpans } of body.resourceSpans) {
      const service = String(attributesOf(resource.attributes)['service.name'])
      for (const scope of scopeSpans) {
        for (const span of scope.spans) {
          spans.push({ service, traceId: hex(span.traceId as string), spanId: hex(span.spanId as string), parentSpanId: hex(span.parentSpanId as string), name: String(span.name), kind: Number(span.kind), attributes: attributesOf(span.attributes as Attribute[]), status: (span.status ?? {}) as { code?: number } })
        }
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, spans, posts }
}

// OTLP span kinds.
const SERVER = 2
const CLIENT = 3
const CONSUMER = 5

t.test('every process exports its spans over OTLP, with the ids it logs and passes on, as one tree', async (t) => {
  const receiver = await startReceiver(t)
  const redis = await startRedis(t)
  const { users, orders, notifications, gateway, user } = await startTracedSplit(t, redis.url, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' })

  const traceId = randomUUID().replaceAll('-', '')
  const callerSpan = 'a1b2c3d4e5f60718'
  const res = await fetch(`${gateway.url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${callerSpan}-01` },
    body: JSON.stringify({ userId: user.id, items: [{ sku: 'A-1', qty: 2 }] })
  })
  t.equal(res.status, 201)

  const logged = {
    gateway: await logLine(gateway, 'gateway access line of POST /orders', (line) => line.msg === 'request' && line.trace_id === traceId),
    orders: await logLine(orders, 'orders access line', (line) => line.msg === 'request' && line.route === '/orders' && line.trace_id === traceId),
    users: await logLine(users, 'users access line of the call from orders', (line) => line.msg === 'request' && line.route === '/users/:id' && line.trace_id === traceId),
    notifications: await logLine(notifications, 'order.placed handled', (line) => line.msg === 'event handled' && line.event === 'order.placed' && line.trace_id === traceId)
  }
  const inTrace = () => receiver.spans.filter((span) => span.traceId === traceId)
  await until(() => inTrace().length >= 5, { what: 'five spans of the trace exported', timeoutMs: 30_000 })
  t.ok(receiver.posts.every((post) => post === 'POST /v1/traces application/x-protobuf'), 'OTLP/HTTP protobuf to /v1/traces, the default')

  const find = (service: string, kind: number) => {
    const found = inTrace().filter((span) => span.service === service && span.kind === kind)
    t.equal(found.length, 1, `one ${service} span of kind ${kind}`)
    return found[0]
  }
  const gatewayServer = find('cleave:gateway', SERVER)
  const ordersServer = find('cleave:orders', SERVER)
  const ordersClient = find('cleave:orders', CLIENT)
  const usersServer = find('cleave:users', SERVER)
  const consumer = find('cleave:notifications', CONSUMER)

  t.equal(gatewayServer.parentSpanId, callerSpan, 'the gateway span continues the caller\'s')
  t.equal(ordersServer.parentSpanId, gatewayServer.spanId, 'orders is a child of the gateway')
  t.equal(ordersClient.parentSpanId, ordersServer.spanId, 'the call to users is a child of the orders request')
  t.equal(usersServer.parentSpanId, ordersClient.spanId, 'users is a child of the call')
  t.equal(consumer.parentSpanId, ordersServer.spanId, 'the handler is a child of the request that published')

  t.equal(gatewayServer.spanId, logged.gateway.span_id, 'the gateway logs its exported span id')
  t.equal(ordersServer.spanId, logged.orders.span_id, 'orders logs its exported span id')
  t.equal(usersServer.spanId, logged.users.span_id, 'users logs its exported span id')
  t.equal(consumer.spanId, logged.notifications.span_id, 'the handler logs its exported span id')

  t.match(ordersServer, { name: 'POST /orders', attributes: { 'http.request.method': 'POST', 'http.route': '/orders', 'http.response.status_code': 201 } })
  t.match(usersServer, { name: 'GET /users/:id', attributes: { 'http.route': '/users/:id', 'http.response.status_code': 200 } })
  t.match(ordersClient, { name: 'users.getUser', attributes: { 'rpc.service': 'users', 'rpc.method': 'getUser', 'http.request.method': 'GET' } })
  t.match(consumer, { name: 'order.placed process', attributes: { 'cleave.event.name': 'order.placed', 'cleave.event.attempt': Number, 'messaging.destination.name': String } })
  t.not(ordersServer.status.code, 2, 'a 201 is not an error')
})

t.test('no span leaves the process unless the OTEL variables ask for it', async (t) => {
  const receiver = await startReceiver(t)
  const cases: Array<{ why: string, env: Record<string, string> }> = [
    { why: 'no OTEL variables', env: {} },
    { why: 'OTEL_SDK_DISABLED=true', env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SDK_DISABLED: 'true' } },
    { why: 'OTEL_TRACES_EXPORTER=none', env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_EXPORTER: 'none' } },
    { why: 'TRACING=false', env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, TRACING: 'false' } }
  ]
  // The control: the same process does export when asked, so silence below means something. Its
  // batch is due in ten minutes: the span arrives only because closing flushes it.
  const control = await startProcess(t, 'server', { DATA_DIR: tempDir(t), MODULES: 'users', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`, OTEL_BSP_SCHEDULE_DELAY: '600000' })
  t.equal((await fetch(`${control.url}/users/1`)).status, 404)
  control.child.kill('SIGTERM')
  t.equal(await control.exited, 0, 'the control closed cleanly')
  t.match(receiver.spans.find((span) => span.name === 'GET /users/:id'), { service: 'cleave:users', kind: SERVER, attributes: { 'http.response.status_code': 404 } }, 'its span was sent on close')
  const before = receiver.posts.length

  for (const { why, env } of cases) {
    const server = await startProcess(t, 'server', { DATA_DIR: tempDir(t), MODULES: 'users', OTEL_BSP_SCHEDULE_DELAY: '100', ...env })
    t.equal((await fetch(`${server.url}/users/1`)).status, 404)
    // Closing flushes whatever an exporter had batched.
    server.child.kill('SIGTERM')
    t.equal(await server.exited, 0, `${why}: closed cleanly`)
    t.equal(receiver.posts.length, before, `${why}: nothing exported`)
  }
})

t.test('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json sends OTLP JSON, and wins over OTEL_EXPORTER_OTLP_PROTOCOL', async (t) => {
  const receiver = await startReceiver(t)
  const server = await startProcess(t, 'server', {
    DATA_DIR: tempDir(t),
    MODULES: 'users',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '600000'
  })
  t.equal((await fetch(`${server.url}/users/1`)).status, 404)
  // Closing flushes the batch.
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0, 'closed cleanly')
  t.ok(receiver.posts.length > 0 && receiver.posts.every((post) => post === 'POST /v1/traces application/json'), 'JSON to /v1/traces')
  t.match(receiver.spans.find((span) => span.name === 'GET /users/:id'), { service: 'cleave:users', kind: SERVER, attributes: { 'http.response.status_code': 404 } }, 'the span, read from JSON')
})
