// dialects: sqlite postgres
// The orders module on its own terms: placing, reading and listing orders, its refusals, and what
// it does when users, which it calls, is gone, hung or answers nonsense.
import t, { type Test } from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { buildTestApp } from '../helpers/app.js'
import { until } from '../helpers/until.js'

type App = Awaited<ReturnType<typeof buildTestApp>>

const ada = { name: 'Ada', email: 'ada@example.com' }
const book = { sku: 'book-1', qty: 2 }

function post (app: App, url: string, body: unknown) {
  return app.inject({ method: 'POST', url, payload: body as object })
}

async function withAda (t: Test, modules = ['users', 'orders', 'notifications']) {
  const app = await buildTestApp(t, { modules })
  t.equal((await post(app, '/users', ada)).statusCode, 201)
  return app
}

t.test('POST /orders for an existing user: 201, Location, stored, read back with the user', async (t) => {
  const app = await withAda(t)
  const res = await post(app, '/orders', { userId: 1, items: [book, { sku: 'pen', qty: 1 }] })
  t.equal(res.statusCode, 201)
  t.equal(res.headers.location, '/orders/1')
  t.match(res.json(), { id: 1, userId: 1, items: [book, { sku: 'pen', qty: 1 }] })
  const read = await app.inject('/orders/1')
  t.equal(read.statusCode, 200)
  t.match(read.json(), { id: 1, userId: 1, user: ada, degraded: false })
})

t.test('an order placed is confirmed to its user through order.placed', async (t) => {
  const app = await withAda(t)
  await post(app, '/orders', { userId: 1, items: [book, { sku: 'pen', qty: 1 }] })
  const messages = async () => ((await app.inject('/notifications?userId=1')).json() as Array<{ kind: string, message: string }>)
  await until(async () => (await messages()).some((note) => note.kind === 'order-confirmation'), { what: 'the order confirmation' })
  t.same((await messages()).map((note) => note.message), ['Welcome, Ada!', 'Order #1 confirmed: 3 items'])
})

t.test('an order for a user who does not exist is a 422 naming the user, and nothing is stored or published', async (t) => {
  const app = await withAda(t)
  const res = await post(app, '/orders', { userId: 7, items: [book] })
  t.equal(res.statusCode, 422)
  t.match(res.json(), { code: 'CLV_ORDERS_UNKNOWN_USER', detail: 'User 7 does not exist' })
  t.same((await app.inject('/orders')).json(), [])
  t.same((await app.inject('/notifications?userId=7')).json(), [], 'no confirmation for an order that is not')
})

t.test('bad orders are refused field by field, before users is asked', async (t) => {
  const app = await withAda(t)
  const cases: Array<[string, unknown, string]> = [
    ['no items', { userId: 1, items: [] }, '/items'],
    ['a quantity of 0', { userId: 1, items: [{ sku: 'book', qty: 0 }] }, '/items/0/qty'],
    ['a quantity over 1000', { userId: 1, items: [{ sku: 'book', qty: 1001 }] }, '/items/0/qty'],
    ['a sku with a space', { userId: 1, items: [{ sku: 'a book', qty: 1 }] }, '/items/0/sku'],
    ['a user id of 0', { userId: 0, items: [book] }, '/userId'],
    ['a user id past 2^53', { userId: 2 ** 53, items: [book] }, '/userId'],
    ['101 items', { userId: 1, items: Array.from({ length: 101 }, () => book) }, '/items'],
    ['an undeclared field', { userId: 1, items: [book], discount: 5 }, '']
  ]
  for (const [label, body, field] of cases) {
    const res = await post(app, '/orders', body)
    t.equal(res.statusCode, 400, label)
    t.equal(res.json().code, 'CLV_VALIDATION', label)
    if (field) t.ok(res.json().errors.some((error: { field: string }) => error.field === field), `${label}: names ${field}`)
  }
  t.same((await app.inject('/orders')).json(), [], 'nothing was stored')
})

t.test('GET /orders/:id of no order is a 404 naming it', async (t) => {
  const app = await withAda(t)
  const res = await app.inject('/orders/42')
  t.equal(res.statusCode, 404)
  t.match(res.json(), { code: 'CLV_ORDERS_NOT_FOUND', detail: 'Order 42 not found' })
})

t.test('GET /orders pages in id order, of one user or of all', async (t) => {
  const app = await withAda(t)
  t.equal((await post(app, '/users', { name: 'Bob', email: 'bob@example.com' })).statusCode, 201)
  for (const userId of [1, 2, 1, 2, 1]) t.equal((await post(app, '/orders', { userId, items: [book] })).statusCode, 201)
  const ids = async (query: string) => ((await app.inject(`/orders?${query}`)).json() as Array<{ id: number }>).map((order) => order.id)
  t.same(await ids(''), [1, 2, 3, 4, 5])
  t.same(await ids('userId=1'), [1, 3, 5])
  t.same(await ids('userId=1&limit=2'), [1, 3])
  t.same(await ids('userId=1&limit=2&cursor=3'), [5])
  t.same(await ids('limit=2&cursor=5'), [])
  t.equal((await app.inject('/orders?limit=101')).statusCode, 400, 'a page of at most 100')
})

// A users instance of the test's own, in front of the real one, that can be told to die, hang or lie.
async function usersInFront (t: Test, real: App) {
  let mode: 'pass' | 'hang' | 'nonsense' = 'pass'
  const held: ServerResponse[] = []
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    req.resume()
    if (mode === 'hang') return held.push(res)
    if (mode === 'nonsense') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'one', name: 42 }))
    const answer = await real.inject({ method: req.method as 'GET', url: req.url as string })
    res.writeHead(answer.statusCode, { 'content-type': String(answer.headers['content-type']) }).end(answer.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const close = () => {
    for (const res of held.splice(0)) res.destroy()
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  }
  t.teardown(close)
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, set (next: typeof mode) { mode = next }, close }
}

t.test('split from users: a read degrades and a write is refused at once when users is dead, hung or answers nonsense', async (t) => {
  const users = await buildTestApp(t, { modules: ['users'] })
  t.equal((await post(users, '/users', ada)).statusCode, 201)
  const front = await usersInFront(t, users)
  // Health checks off: each case is the call's own handling, not rotation.
  const orders = await buildTestApp(t, { modules: ['orders'], env: { SERVICE_USERS_URL: front.url, CALL_TIMEOUT_MS: '300', CALL_RETRIES: '0', HEALTH_CHECK_INTERVAL_MS: '0', BREAKER_CONSECUTIVE_FAILURES: '0', BREAKER_VOLUME_THRESHOLD: '1000' } })
  t.equal((await post(orders, '/orders', { userId: 1, items: [book] })).statusCode, 201, 'placed while users answers')
  t.match((await orders.inject('/orders/1')).json(), { user: ada, degraded: false })

  for (const mode of ['hang', 'nonsense'] as const) {
    front.set(mode)
    const started = performance.now()
    const read = await orders.inject('/orders/1')
    t.equal(read.statusCode, 200, `${mode}: the order is still the answer`)
    t.match(read.json(), { id: 1, user: null, degraded: true }, `${mode}: degraded, without the user`)
    const write = await post(orders, '/orders', { userId: 1, items: [book] })
    t.equal(write.statusCode, 503, `${mode}: a new order cannot be checked, so it is refused`)
    t.equal(write.json().code, 'CLV_DEPENDENCY_UNAVAILABLE', mode)
    t.ok(performance.now() - started < 2000, `${mode}: both within the call timeout, not hanging`)
  }

  front.set('pass')
  await front.close()
  const read = await orders.inject('/orders/1')
  t.match(read.json(), { user: null, degraded: true }, 'dead: degraded')
  t.equal((await post(orders, '/orders', { userId: 1, items: [book] })).statusCode, 503, 'dead: refused')
  t.same(((await orders.inject('/orders')).json() as unknown[]).length, 1, 'only the order placed while users answered is stored')
})
