// dialects: sqlite postgres
// Only declared fields reach a store: every write route is sent fields named like its columns,
// and what is in the database afterwards is read directly, not through the API.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../helpers/app.js'
import { queryRows } from '../helpers/database.js'

const columnExtras: Array<[string, unknown]> = [
  ['id', 777], ['id', 9223372036854774784], ['id', 0], ['createdAt', 'not-a-date'], ['updatedAt', '2000-01-01T00:00:00.000Z'],
  ['orderId', 1], ['position', 0], ['userId', 2], ['state', 'completed'], ['attempts', 0]
]

function rows (app: FastifyInstance, module: string, sql: string): Promise<unknown[]> {
  return queryRows(app.databases.get(module)!, sql)
}

async function post (app: FastifyInstance, url: string, payload: unknown, method: 'POST' | 'PATCH' = 'POST') {
  return app.inject({ method, url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) })
}

t.test('POST /users: a column-named field is refused by name and nothing is stored', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'] })
  for (const [field, value] of columnExtras) {
    const res = await post(app, '/users', { name: 'A', email: 'a@example.com', [field]: value })
    t.equal(res.statusCode, 400, `${field}: ${JSON.stringify(value)}`)
    t.match(res.json(), { code: 'CLV_VALIDATION', errors: [{ in: 'body', field: `/${field}`, message: 'must NOT have additional properties' }] })
  }
  const polluted = await app.inject({ method: 'POST', url: '/users', headers: { 'content-type': 'application/json' }, payload: '{"name":"A","email":"a@example.com","__proto__":{"id":777}}' })
  t.match(polluted.json(), { status: 400, code: 'CLV_FORBIDDEN_KEY' }, '__proto__ is refused before validation')
  t.same((await rows(app, 'users', 'select * from users')), [], 'no row was written')

  const created = (await post(app, '/users', { name: 'A', email: 'a@example.com' })).json()
  t.match((await rows(app, 'users', 'select * from users')), [{ id: 1, name: 'A', email: 'a@example.com', created_at: created.createdAt }], 'the server chose id and created_at')
  t.equal((await rows(app, 'users', 'select * from outbox')).length, 1, 'one user.created event, for the user that was stored')
})

t.test('PATCH /users/:id: a column-named field is refused and the row is unchanged', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'] })
  await post(app, '/users', { name: 'A', email: 'a@example.com' })
  await post(app, '/users', { name: 'B', email: 'b@example.com' })
  const before = (await rows(app, 'users', 'select * from users order by id'))
  for (const [field, value] of [...columnExtras, ['id', 5000]] as Array<[string, unknown]>) {
    const res = await post(app, '/users/2', { name: 'C', [field]: value }, 'PATCH')
    t.equal(res.statusCode, 400, `${field}: ${JSON.stringify(value)}`)
    t.equal(res.json().errors[0].field, `/${field}`)
  }
  t.same((await rows(app, 'users', 'select * from users order by id')), before, 'both rows as they were')
})

t.test('POST /orders: extras at the top and inside an item are refused; no other order gains an item', async (t) => {
  const app = await buildTestApp(t, { modules: ['users', 'orders'] })
  const user = (await post(app, '/users', { name: 'A', email: 'a@example.com' })).json()
  const first = await post(app, '/orders', { userId: user.id, items: [{ sku: 'a', qty: 1 }] })
  t.equal(first.statusCode, 201)
  const before = { orders: (await rows(app, 'orders', 'select * from orders')), items: (await rows(app, 'orders', 'select * from order_items')) }
  for (const [field, value] of columnExtras.filter(([field]) => field !== 'userId')) {
    const top = await post(app, '/orders', { userId: user.id, items: [{ sku: 'b', qty: 1 }], [field]: value })
    t.equal(top.statusCode, 400, `order ${field}: ${JSON.stringify(value)}`)
    t.equal(top.json().errors[0].field, `/${field}`)
  }
  for (const [field, value] of columnExtras) {
    const nested = await post(app, '/orders', { userId: user.id, items: [{ sku: 'b', qty: 1, [field]: value }] })
    t.equal(nested.statusCode, 400, `item ${field}: ${JSON.stringify(value)}`)
    t.equal(nested.json().errors[0].field, `/items/0/${field}`)
  }
  t.same({ orders: (await rows(app, 'orders', 'select * from orders')), items: (await rows(app, 'orders', 'select * from order_items')) }, before, 'orders and items as they were')
})

t.test('POST /async_task: the payload is any JSON object, but the task row is the server\'s', async (t) => {
  const app = await buildTestApp(t, { modules: ['tasks'], env: { WORKERS: 'false' } })
  const payload = { id: 'mine', createdAt: 'not-a-date', state: 'completed', attempts: 99, result: { checksum: 'x' } }
  const res = await post(app, '/async_task', payload)
  t.equal(res.statusCode, 202)
  const [row] = (await rows(app, 'tasks', 'select * from tasks')) as Array<Record<string, unknown>>
  t.match(row, { id: res.json().id, state: 'waiting', attempts: 0, result: null }, 'id, state, attempts and result are the server\'s')
  t.not(row.id, 'mine')
  t.ok(Date.parse(row.created_at as string) > Date.now() - 60_000, 'created_at is the time of the request')
  t.same(typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload, payload, 'the fields are the task\'s data, stored as its payload')
})

t.test('query strings: an undeclared parameter is refused on every route, with or without declared ones', async (t) => {
  const app = await buildTestApp(t)
  for (const url of ['/users?id=5', '/users/1?x=1', '/orders?createdAt=1', '/notifications?kind=welcome', '/service?debug=1', '/tasks/00000000-0000-4000-8000-000000000000?state=completed']) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 400, url)
    t.match(res.json(), { code: 'CLV_VALIDATION', errors: [{ in: 'querystring', message: 'must NOT have additional properties' }] })
  }
  t.equal((await app.inject('/users?limit=5')).statusCode, 200, 'declared parameters still work')
})

t.test('a body of many unknown keys is refused naming the first few, in a short answer', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'] })
  const body: Record<string, unknown> = { name: 'A', email: 'a@example.com', id: 0 }
  for (let i = 0; i < 50_000; i++) body[`k${i}`] = 1
  const res = await post(app, '/users', body)
  t.equal(res.statusCode, 400)
  const problem = res.json()
  t.equal(problem.errors.length, 10, 'ten listed')
  t.match(problem.detail, /; and 49991 more$/)
  t.ok(res.payload.length < 4096, `${res.payload.length} bytes`)
  t.same((await rows(app, 'users', 'select * from users')), [])
})
