import type { Test } from 'tap'
import { createHash, randomUUID } from 'node:crypto'
import { until } from '../helpers/until.js'

// The API, asserted once and run against every topology: one process, split with static
// discovery, split with Redis discovery. Only the base URL differs, and whether events cross
// processes (without Redis, a split delivers none to another module's process).
//
// Each test creates what it needs, so the suite passes in any order: API_SUITE_ORDER=reverse
// or API_SUITE_ORDER=shuffle runs it that way (the order is printed as a comment).

export async function call (base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await res.text()
  const type = res.headers.get('content-type') ?? ''
  return { status: res.status, headers: res.headers, type, text, json: type.includes('json') ? JSON.parse(text) : undefined }
}

type User = { id: number, name: string, email: string, createdAt: string }
type Notification = { id: number, userId: number, kind: string, message: string, eventId: string, createdAt: string }

export interface SuiteOptions {
  /** Only the cases of these modules (the name before a case's colon), where the topology runs no others. */
  modules?: string[]
}

/** An address no other test (or earlier run of this one) uses. */
const uniqueEmail = (name: string) => `${name.toLowerCase()}-${randomUUID()}@example.com`

async function createUser (t: Test, base: string, name: string): Promise<User> {
  const created = await call(base, 'POST', '/users', { name, email: uniqueEmail(name) })
  t.equal(created.status, 201, `${name} created`)
  return created.json
}

async function placeOrder (t: Test, base: string, userId: number, items: Array<{ sku: string, qty: number }>, headers: Record<string, string> = {}) {
  const placed = await call(base, 'POST', '/orders', { userId, items }, headers)
  t.equal(placed.status, 201, 'order placed')
  return placed
}

export function suiteOrder<T> (cases: T[], order = process.env.API_SUITE_ORDER ?? 'forward'): T[] {
  if (order === 'forward') return cases
  if (order === 'reverse') return [...cases].reverse()
  if (order === 'shuffle') {
    const shuffled = [...cases]
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]]
    }
    return shuffled
  }
  throw new Error(`API_SUITE_ORDER must be forward, reverse or shuffle, not ${order}`)
}

export async function apiSuite (t: Test, base: string, { modules }: SuiteOptions = {}) {
  const cases: Array<[string, (t: Test) => Promise<void>]> = [
    ['hello: GET /service', async (t) => {
      const res = await call(base, 'GET', '/service', undefined, { 'x-request-id': 'suite-hello' })
      t.equal(res.status, 200)
      t.equal(res.text, 'Hello, Microservice!')
      t.match(res.type, /^text\/plain/)
      t.equal(res.headers.get('x-request-id'), 'suite-hello')
    }],

    ['proxy: GET /proxy reaches hello through its client', async (t) => {
      const res = await call(base, 'GET', '/proxy')
      t.equal(res.status, 200)
      t.equal(res.text, 'Hello, Microservice!')
      t.match(res.type, /^text\/plain/)
    }],

    ['users: create, read, conflict, validation', async (t) => {
      const email = uniqueEmail('Ada')
      const created = await call(base, 'POST', '/users', { name: 'Ada', email })
      t.equal(created.status, 201)
      const ada = created.json as User
      t.match(ada, { name: 'Ada', email })
      t.equal(created.headers.get('location'), `/users/${ada.id}`)
      t.same((await call(base, 'GET', `/users/${ada.id}`)).json, ada)

      const duplicate = await call(base, 'POST', '/users', { name: 'Other', email: email.toUpperCase() })
      t.equal(duplicate.status, 409)
      t.match(duplicate.type, /^application\/problem\+json/)
      t.equal(duplicate.json.code, 'CLV_USERS_EMAIL_TAKEN')

      const invalid = await call(base, 'POST', '/users', { name: '', email: 'nope' })
      t.equal(invalid.status, 400)
      t.same(invalid.json.errors.map((e: { field: string }) => e.field).sort(), ['/email', '/name', '/name'])

      const missing = await call(base, 'GET', '/users/999999')
      t.equal(missing.status, 404)
      t.match(missing.json, { code: 'CLV_USERS_NOT_FOUND', status: 404 })
    }],

    ['users: list, update, delete', async (t) => {
      const first = await createUser(t, base, 'Ada')
      const bob = await createUser(t, base, 'Bob')
      const page = await call(base, 'GET', `/users?limit=1&cursor=${first.id}`)
      t.same(page.json.map((u: { id: number }) => u.id), [bob.id])
      const renamed = await call(base, 'PATCH', `/users/${bob.id}`, { name: 'Robert' })
      t.equal(renamed.status, 200)
      t.equal(renamed.json.name, 'Robert')
      t.equal((await call(base, 'DELETE', `/users/${bob.id}`)).status, 204)
      t.equal((await call(base, 'GET', `/users/${bob.id}`)).status, 404)
      t.equal((await call(base, 'DELETE', `/users/${bob.id}`)).status, 404)
    }],

    ['orders: checks the user through the users client', async (t) => {
      const ada = await createUser(t, base, 'Ada')
      const unknown = await call(base, 'POST', '/orders', { userId: 999999, items: [{ sku: 'A-1', qty: 1 }] })
      t.equal(unknown.status, 422)
      t.match(unknown.json, { code: 'CLV_ORDERS_UNKNOWN_USER' })

      const invalid = await call(base, 'POST', '/orders', { userId: ada.id, items: [] })
      t.equal(invalid.status, 400)

      const placed = await placeOrder(t, base, ada.id, [{ sku: 'A-1', qty: 2 }, { sku: 'B-7', qty: 1 }], { 'x-request-id': 'suite-order' })
      t.equal(placed.headers.get('location'), `/orders/${placed.json.id}`)
      t.equal(placed.headers.get('x-request-id'), 'suite-order')

      const read = await call(base, 'GET', `/orders/${placed.json.id}`)
      t.equal(read.status, 200)
      t.same(read.json, { ...placed.json, user: { name: 'Ada', email: ada.email }, degraded: false })

      const list = await call(base, 'GET', `/orders?userId=${ada.id}`)
      t.same(list.json, [placed.json])
      t.same((await call(base, 'GET', '/orders?userId=999999')).json, [])
      t.equal((await call(base, 'GET', '/orders/999999')).status, 404)
    }],

    ['tasks: POST /async_task is 202 with a Location; GET /tasks/:id reaches completed with the result', async (t) => {
      const payload = { text: 'the suite\'s task', nested: { b: 2, a: ['one word'] } }
      const queued = await call(base, 'POST', '/async_task', payload)
      t.equal(queued.status, 202)
      t.same(queued.json, { status: 'task queued', id: queued.json.id })
      t.equal(queued.headers.get('location'), `/tasks/${queued.json.id}`)

      const location = queued.headers.get('location') ?? ''
      const task = await until(async () => {
        const read = await call(base, 'GET', location)
        return read.status === 200 && ['completed', 'failed'].includes(read.json.state) && read.json
      }, { what: `task ${queued.json.id} finished`, timeoutMs: 30_000 })
      const canonical = '{"nested":{"a":["one word"],"b":2},"text":"the suite\'s task"}'
      t.match(task, {
        id: queued.json.id,
        state: 'completed',
        attempts: 1,
        result: { checksum: createHash('sha256').update(canonical).digest('hex'), words: 5, bytes: canonical.length }
      })

      const unknown = await call(base, 'GET', `/tasks/${randomUUID()}`)
      t.equal(unknown.status, 404)
      t.match(unknown.json, { code: 'CLV_TASKS_NOT_FOUND' })
    }],

    ['notifications: one welcome for a new user, one confirmation for an order', async (t) => {
      const user = await createUser(t, base, 'Nina')
      const listed = async () => (await call(base, 'GET', `/notifications?userId=${user.id}`)).json as Notification[]
      await until(async () => (await listed()).length > 0, { what: `a welcome for user ${user.id}`, timeoutMs: 30_000 })

      const order = await placeOrder(t, base, user.id, [{ sku: 'A-1', qty: 2 }, { sku: 'B-7', qty: 1 }])
      await until(async () => (await listed()).some((n) => n.kind === 'order-confirmation'), { what: `the confirmation of order ${order.json.id}`, timeoutMs: 30_000 })
      // Both events were delivered by now: a second welcome would have had its chance.
      t.match(await listed(), [
        { userId: user.id, kind: 'welcome', message: 'Welcome, Nina!' },
        { userId: user.id, kind: 'order-confirmation', message: `Order #${order.json.id} confirmed: 3 items` }
      ])
      t.equal((await listed()).length, 2, 'exactly one of each')
    }],

    ['unknown routes are 404 problems', async (t) => {
      const res = await call(base, 'GET', '/nowhere')
      t.equal(res.status, 404)
      t.match(res.type, /^application\/problem\+json/)
    }]
  ]

  const ordered = suiteOrder(modules === undefined ? cases : cases.filter(([name]) => modules.includes(name.split(':')[0])))
  t.comment(`API suite order (${process.env.API_SUITE_ORDER ?? 'forward'}): ${ordered.map(([name]) => name).join(' | ')}`)
  for (const [name, run] of ordered) await t.test(name, run)
}
