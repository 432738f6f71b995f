import t from 'tap'
import { randomUUID } from 'node:crypto'
import { logLine } from '../helpers/process.js'
import { startRedis } from '../helpers/redis.js'
import { startTracedSplit } from './topologies.js'

const traceId = randomUUID().replaceAll('-', '')
const callerSpan = 'a1b2c3d4e5f60718'

// gateway → orders → (client call) users; orders publishes order.placed → Redis → notifications.
t.test('one trace id follows a request through the gateway, a service call and an event, in every process', async (t) => {
  const redis = await startRedis(t)
  // No traceparent: the gateway starts a trace, and it reaches the users service and the welcome handler.
  const { users, orders, notifications, gateway, user } = await startTracedSplit(t, redis.url)
  const started = await logLine(gateway, 'gateway access line of POST /users', (line) => line.msg === 'request' && line.method === 'POST' && line.url === '/users' && line.status === 201)
  t.match(started.trace_id, /^[0-9a-f]{32}$/, 'a trace is started without a traceparent')
  await logLine(users, 'users access line of POST /users in that trace', (line) => line.msg === 'request' && line.route === '/users' && line.trace_id === started.trace_id)
  await logLine(notifications, 'user.created handled in that trace', (line) => line.msg === 'event handled' && line.event === 'user.created' && line.trace_id === started.trace_id)

  const res = await fetch(`${gateway.url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${callerSpan}-01` },
    body: JSON.stringify({ userId: user.id, items: [{ sku: 'A-1', qty: 2 }] })
  })
  t.equal(res.status, 201)
  const reqId = res.headers.get('x-request-id')

  const seen = {
    gateway: await logLine(gateway, 'gateway access line of POST /orders', (line) => line.msg === 'request' && line.trace_id === traceId),
    orders: await logLine(orders, 'orders access line', (line) => line.msg === 'request' && line.route === '/orders' && line.trace_id === traceId),
    users: await logLine(users, 'users access line of the call from orders', (line) => line.msg === 'request' && line.route === '/users/:id' && line.trace_id === traceId),
    notifications: await logLine(notifications, 'order.placed handled', (line) => line.msg === 'event handled' && line.event === 'order.placed' && line.trace_id === traceId)
  }
  for (const [process, line] of Object.entries(seen)) t.match(line.span_id, /^[0-9a-f]{16}$/, `${process} logged the trace with its own span`)
  const spans = Object.values(seen).map((line) => line.span_id)
  t.equal(new Set([...spans, callerSpan]).size, spans.length + 1, 'each process made its own span')
  t.equal(seen.users.reqId, reqId, 'the call from orders carries the request id too')

  // Every line any process wrote for this request carries the trace, not only the access lines.
  const forRequest = [gateway, orders, users].flatMap((process) => process.logs).filter((line) => line.reqId === reqId)
  t.ok(forRequest.length >= 3, 'lines for the request in three processes')
  t.same(forRequest.filter((line) => line.trace_id !== traceId), [], 'all of them in the trace')
})
