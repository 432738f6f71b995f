import type { Test } from 'tap'

// The API, asserted once and run against every topology: one process, split with static
// discovery, split with Redis discovery. Only the base URL differs.

async function call (base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await res.text()
  const type = res.headers.get('content-type') ?? ''
  return { status: res.status, headers: res.headers, type, text, json: type.includes('json') ? JSON.parse(text) : undefined }
}

export async function apiSuite (t: Test, base: string) {
  await t.test('hello: GET /service', async (t) => {
    const res = await call(base, 'GET', '/service', undefined, { 'x-request-id': 'suite-hello' })
    t.equal(res.status, 200)
    t.equal(res.text, 'Hello, Microservice!')
    t.match(res.type, /^text\/plain/)
    t.equal(res.headers.get('x-request-id'), 'suite-hello')
  })

  await t.test('proxy: GET /proxy reaches hello through its client', async (t) => {
    const res = await call(base, 'GET', '/proxy')
    t.equal(res.status, 200)
    t.equal(res.text, 'Hello, Microservice!')
    t.match(res.type, /^text\/plain/)
  })

  let ada: { id: number, name: string, email: string, createdAt: string }
  await t.test('users: create, read, conflict, validation', async (t) => {
    const created = await call(base, 'POST', '/users', { name: 'Ada', email: 'ada@example.com' })
    t.equal(created.status, 201)
    ada = created.json
    t.match(ada, { name: 'Ada', email: 'ada@example.com' })
    t.equal(created.headers.get('location'), `/users/${ada.id}`)
    t.same((await call(base, 'GET', `/users/${ada.id}`)).json, ada)

    const duplicate = await call(base, 'POST', '/users', { name: 'Other', email: 'ADA@example.com' })
    t.equal(duplicate.status, 409)
    t.match(duplicate.type, /^application\/problem\+json/)
    t.equal(duplicate.json.code, 'CLV_USERS_EMAIL_TAKEN')

    const invalid = await call(base, 'POST', '/users', { name: '', email: 'nope' })
    t.equal(invalid.status, 400)
    t.same(invalid.json.errors.map((e: { field: string }) => e.field).sort(), ['/email', '/name', '/name'])

    const missing = await call(base, 'GET', '/users/999999')
    t.equal(missing.status, 404)
    t.match(missing.json, { code: 'CLV_USERS_NOT_FOUND', status: 404 })
  })

  await t.test('users: list, update, delete', async (t) => {
    const bob = (await call(base, 'POST', '/users', { name: 'Bob', email: 'bob@example.com' })).json
    const page = await call(base, 'GET', `/users?limit=1&cursor=${ada.id}`)
    t.same(page.json.map((u: { id: number }) => u.id), [bob.id])
    const renamed = await call(base, 'PATCH', `/users/${bob.id}`, { name: 'Robert' })
    t.equal(renamed.status, 200)
    t.equal(renamed.json.name, 'Robert')
    t.equal((await call(base, 'DELETE', `/users/${bob.id}`)).status, 204)
    t.equal((await call(base, 'GET', `/users/${bob.id}`)).status, 404)
    t.equal((await call(base, 'DELETE', `/users/${bob.id}`)).status, 404)
  })

  await t.test('orders: checks the user through the users client', async (t) => {
    const unknown = await call(base, 'POST', '/orders', { userId: 999999, items: [{ sku: 'A-1', qty: 1 }] })
    t.equal(unknown.status, 422)
    t.match(unknown.json, { code: 'CLV_ORDERS_UNKNOWN_USER' })

    const invalid = await call(base, 'POST', '/orders', { userId: ada.id, items: [] })
    t.equal(invalid.status, 400)

    const placed = await call(base, 'POST', '/orders', { userId: ada.id, items: [{ sku: 'A-1', qty: 2 }, { sku: 'B-7', qty: 1 }] }, { 'x-request-id': 'suite-order' })
    t.equal(placed.status, 201)
    t.equal(placed.headers.get('location'), `/orders/${placed.json.id}`)
    t.equal(placed.headers.get('x-request-id'), 'suite-order')

    const read = await call(base, 'GET', `/orders/${placed.json.id}`)
    t.equal(read.status, 200)
    t.same(read.json, { ...placed.json, user: { name: 'Ada', email: 'ada@example.com' }, degraded: false })

    const list = await call(base, 'GET', `/orders?userId=${ada.id}`)
    t.same(list.json, [placed.json])
    t.same((await call(base, 'GET', '/orders?userId=999999')).json, [])
    t.equal((await call(base, 'GET', '/orders/999999')).status, 404)
  })

  await t.test('unknown routes are 404 problems', async (t) => {
    const res = await call(base, 'GET', '/nowhere')
    t.equal(res.status, 404)
    t.match(res.type, /^application\/problem\+json/)
  })
}
