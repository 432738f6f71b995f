// The fuzz run shared by both topologies: derive requests from the served /docs/json, send them,
// hold every answer to the error contract, and keep a model of what the accepted ones stored.
import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import type { Test } from 'tap'
import { canonicalJson } from '../../src/modules/tasks/work.js'
import { until } from '../helpers/until.js'
import { operationsOf, type Operation } from './operations.js'
import { badUtf8, columnNames, columnValues, recipeArb, type Column, type MalformedRecipe, type Recipe, type ValidRecipe } from './requests.js'
import { closeAgent, send, type FuzzRequest, type FuzzResponse } from './send.js'

interface Model {
  users: Map<number, { name: string, email: string, createdAt: string }>
  orders: Map<number, { userId: number, items: unknown, createdAt: string }>
  lastUserId: number
  lastOrderId: number
  /** task id → expected checksum, when the payload came from a valid request (else null: only its existence is checked) */
  tasks: Map<string, string | null>
}

export interface FuzzStats { requests: number, byKind: Record<string, number>, byStatus: Record<string, number> }

const json = (body: unknown, extra: Record<string, string> = {}) => ({ headers: { 'content-type': 'application/json', ...extra }, body: Buffer.from(JSON.stringify(body)) })

function pickId (ids: Iterable<number>, pick: number): number {
  const list = [...ids]
  return list.length === 0 ? 999_999 : list[pick % list.length]
}

function fillPath (template: string, value: string): string {
  return template.replace(/\{[^}]+\}/g, value)
}

function encodeBody (recipe: MalformedRecipe, operation: Operation): Buffer | undefined {
  const body: Record<string, unknown> = { ...recipe.base }
  const keys = Object.keys(operation.body?.properties ?? {})
  const key = keys.length > 0 ? keys[recipe.field % keys.length] : 'field'
  switch (recipe.mutation) {
    case 'drop': delete body[key]; break
    case 'wrongType': body[key] = recipe.value; break
    case 'columns': {
      const name = columnNames[recipe.field % columnNames.length]
      const value = columnValues[recipe.pick % columnValues.length]
      const items = body.items
      if (Array.isArray(items) && items.length > 0 && recipe.field % 2 === 1) items[0] = { ...items[0], [name]: value }
      else body[name] = value
      break
    }
    case 'extra': Object.assign(body, JSON.parse(`{"__proto__": {"polluted": true}, "constructor": {"prototype": {}}, "extra${recipe.field}": ${JSON.stringify(recipe.value) ?? 'null'}}`)); break
    case 'huge': body[key] = 'x'.repeat(100_000 + recipe.field % 1000); break
    case 'unicode': body[key] = typeof recipe.value === 'string' ? recipe.value : '\uD800\u202E👩‍👩‍👧‍👦e\u0301'; break
    default: break
  }
  const text = JSON.stringify(body)
  switch (recipe.encoding) {
    case 'truncated': return Buffer.from(text.slice(0, Math.max(1, text.length - 1 - recipe.field % 5)))
    case 'garbage': return Buffer.from(`${text},}`)
    case 'empty': return Buffer.alloc(0)
    case 'notObject': return Buffer.from(JSON.stringify(recipe.value) ?? 'null')
    case 'overLimit': return Buffer.from(JSON.stringify({ ...body, padding: 'p'.repeat(1024 * 1024 + 10) }))
    default:
      if (recipe.mutation !== 'rawBytes') return Buffer.from(text)
      // Invalid or overlong UTF-8 inside a JSON string value, sent as bytes.
      return Buffer.concat([Buffer.from(`{"${key}":"a`), badUtf8[recipe.field % badUtf8.length], Buffer.from('b"}')])
  }
}

function buildMalformed (recipe: MalformedRecipe, operation: Operation, model: Model): FuzzRequest {
  const id = recipe.pathValue ?? String(operation.template.startsWith('/orders') ? pickId(model.orders.keys(), recipe.pick) : pickId(model.users.keys(), recipe.pick))
  const query = recipe.query.map(([name, value]) => `${name}=${value}`).join('&')
  const path = fillPath(operation.template, id) + (query ? `?${query}` : '')
  const headers: Record<string, string> = {}
  if (recipe.contentType !== null) headers['content-type'] = recipe.contentType
  if (recipe.requestId !== null) headers['x-request-id'] = recipe.requestId
  const withBody = operation.body !== undefined || recipe.field % 7 === 0
  return { method: recipe.method ?? operation.method, path, headers, body: withBody ? encodeBody(recipe, operation) : undefined, kind: `malformed ${recipe.mutation}/${recipe.encoding}` }
}

// A closed body refuses the column by name; a task's payload is any JSON object, so it is data there.
function withColumn (body: Record<string, unknown>, column: Column | null, status: number, refused = 400): { body: Record<string, unknown>, status: number } {
  // userId is a column of orders and also what POST /orders takes: only undeclared names are extras.
  if (column === null || (!column.nested && column.name in body)) return { body, status }
  const items = body.items as Array<Record<string, unknown>> | undefined
  if (column.nested && items) return { body: { ...body, items: [{ ...items[0], [column.name]: column.value }, ...items.slice(1)] }, status: refused }
  return { body: { ...body, [column.name]: column.value }, status: refused }
}

function buildValid (recipe: ValidRecipe, operations: Operation[], model: Model): FuzzRequest & { expect?: number[] } {
  const users = model.users
  const emailTaken = (email: string, except?: number) => [...users].some(([id, user]) => id !== except && user.email.toLowerCase() === email.toLowerCase())
  switch (recipe.type) {
    case 'createUser': {
      const email = `${recipe.shout ? recipe.emailKey.toUpperCase() : recipe.emailKey}@example.com`
      const { body, status } = withColumn({ name: recipe.name, email }, recipe.column, emailTaken(email) ? 409 : 201)
      return { method: 'POST', path: '/users', ...json(body), kind: 'valid createUser', expect: [status] }
    }
    case 'updateUser': {
      const id = pickId(users.keys(), recipe.pick)
      const changes = { ...(recipe.name ? { name: recipe.name } : {}), ...(recipe.emailKey ? { email: `${recipe.emailKey}@example.com` } : {}) }
      if (Object.keys(changes).length === 0) changes.name = 'renamed'
      const { body, status } = withColumn(changes, recipe.column, !users.has(id) ? 404 : changes.email && emailTaken(changes.email, id) ? 409 : 200)
      return { method: 'PATCH', path: `/users/${id}`, ...json(body), kind: 'valid updateUser', expect: [status] }
    }
    case 'deleteUser': {
      const id = pickId(users.keys(), recipe.pick)
      return { method: 'DELETE', path: `/users/${id}`, headers: {}, kind: 'valid deleteUser', expect: [users.has(id) ? 204 : 404] }
    }
    case 'placeOrder': {
      const userId = pickId(users.keys(), recipe.pick)
      const { body, status } = withColumn({ userId, items: recipe.items }, recipe.column, users.has(userId) ? 201 : 422)
      return { method: 'POST', path: '/orders', ...json(body), kind: 'valid placeOrder', expect: [status] }
    }
    case 'queueTask': {
      const { body, status } = withColumn(recipe.payload, recipe.column, 202, 202)
      return { method: 'POST', path: '/async_task', ...json(body), kind: 'valid queueTask', expect: [status] }
    }
    case 'read': {
      const operation = operations[recipe.op]
      const id = operation.template.startsWith('/orders') ? pickId(model.orders.keys(), recipe.pick) : operation.template.startsWith('/tasks') ? [...model.tasks.keys()][recipe.pick % Math.max(model.tasks.size, 1)] ?? '00000000-0000-4000-8000-000000000000' : pickId(users.keys(), recipe.pick)
      return { method: 'GET', path: fillPath(operation.template, String(id)), headers: {}, kind: 'valid read' }
    }
  }
}

function describe (req: FuzzRequest, res?: FuzzResponse): string {
  const body = req.body ? JSON.stringify(req.body.subarray(0, 300).toString('latin1')) + (req.body.length > 300 ? ` … (${req.body.length} bytes)` : '') : '(none)'
  const answer = res ? `${res.status} ${res.type} ${res.text.slice(0, 500)}` : '(no response)'
  return `${req.kind}: ${JSON.stringify(req.method)} ${JSON.stringify(req.path.slice(0, 300))}\n  headers ${JSON.stringify(req.headers)}\n  body ${body}\n  → ${answer}`
}

function checkAnswer (req: FuzzRequest, res: FuzzResponse): void {
  if (res.status >= 500 || !(res.status >= 100)) throw new Error(`server error\n${describe(req, res)}`)
  if (res.status < 400) return
  if (!/^application\/problem\+json/.test(res.type)) throw new Error(`error is not problem+json\n${describe(req, res)}`)
  const problem = JSON.parse(res.text)
  if (typeof problem.type !== 'string' || typeof problem.title !== 'string' || problem.status !== res.status) throw new Error(`problem lacks type/title/status\n${describe(req, res)}`)
  if (typeof problem.code !== 'string' || !problem.code.startsWith('CLV_')) throw new Error(`problem code is not one of ours (CLV_*)\n${describe(req, res)}`)
  if ('stack' in problem || /\n\s+at /.test(res.text)) throw new Error(`problem carries a stack trace\n${describe(req, res)}`)
}

/** The columns a server sets itself; a request naming them must not have chosen them. */
function checkServerColumns (req: FuzzRequest, res: FuzzResponse, row: Record<string, unknown>, sent: Record<string, unknown>, window: { from: number, to: number }, newId?: (id: unknown) => boolean): void {
  if (newId && (!newId(row.id) || ('id' in sent && row.id === sent.id))) throw new Error(`the stored id ${row.id} is not one the server chose\n${describe(req, res)}`)
  for (const column of ['createdAt', 'updatedAt']) {
    if (!(column in row)) continue
    const at = Date.parse(String(row[column]))
    if (!(at >= window.from - 1000 && at <= window.to + 1000)) throw new Error(`stored ${column} ${row[column]} is not the time of the request\n${describe(req, res)}`)
  }
}

// Whatever the server accepted changed its data. The model follows every 2xx from what was *sent*
// (never from the answer), so a field the server should not have taken shows up as a difference.
function record (model: Model, req: FuzzRequest, res: FuzzResponse, recipe: Recipe, window: { from: number, to: number }): void {
  if (res.status >= 300) return
  const path = req.path.split('?')[0]
  const route = `${req.method} ${path.replace(/^\/users\/[^/]+$/, '/users/{id}')}`
  if (route === 'DELETE /users/{id}') {
    model.users.delete(Number(decodeURIComponent(path.split('/')[2])))
    return
  }
  if (req.method === 'GET' || !/json/.test(res.type)) return
  const row = JSON.parse(res.text)
  const sent = JSON.parse(req.body!.toString())
  if (route === 'POST /users') {
    checkServerColumns(req, res, row, sent, window, (id) => typeof id === 'number' && id > model.lastUserId)
    model.lastUserId = row.id
    model.users.set(row.id, { name: sent.name, email: sent.email, createdAt: row.createdAt })
  } else if (route === 'PATCH /users/{id}') {
    const id = Number(decodeURIComponent(path.split('/')[2]))
    const before = model.users.get(id)
    if (before === undefined || row.id !== id) throw new Error(`PATCH answered for user ${row.id}, not the ${id} of its path\n${describe(req, res)}`)
    model.users.set(id, { ...before, ...(sent.name !== undefined ? { name: sent.name } : {}), ...(sent.email !== undefined ? { email: sent.email } : {}) })
  } else if (route === 'POST /orders') {
    checkServerColumns(req, res, row, sent, window, (id) => typeof id === 'number' && id > model.lastOrderId)
    model.lastOrderId = row.id
    model.orders.set(row.id, { userId: sent.userId, items: sent.items, createdAt: row.createdAt })
  } else if (route === 'POST /async_task') {
    checkServerColumns(req, res, row, sent, window, (id) => typeof id === 'string' && !model.tasks.has(id))
    model.tasks.set(row.id, recipe.type === 'queueTask' ? createHash('sha256').update(canonicalJson(sent)).digest('hex') : null)
  }
}

export async function runFuzz (t: Test, baseUrl: string, { runs, seed }: { runs: number, seed: number }): Promise<FuzzStats> {
  const base = new URL(baseUrl)
  const document = await (await fetch(new URL('/docs/json', base))).json() as Parameters<typeof operationsOf>[0]
  const operations = operationsOf(document)
  const has = (method: string, template: string) => operations.some((operation) => operation.method === method && operation.template === template)
  t.comment(`fuzzing ${operations.length} operations: ${operations.map((operation) => `${operation.method} ${operation.template}`).join(', ')}; seed ${seed} (FUZZ_SEED to change)`)
  const model: Model = { users: new Map(), orders: new Map(), tasks: new Map(), lastUserId: 0, lastOrderId: 0 }
  const stats: FuzzStats = { requests: 0, byKind: {}, byStatus: {} }

  const property = fc.asyncProperty(recipeArb(operations, has), async (recipe) => {
    const req = recipe.type === 'malformed' ? buildMalformed(recipe, operations[recipe.op], model) : buildValid(recipe, operations, model)
    const from = Date.now()
    const res = await send(base, req).catch((error: Error) => { throw new Error(`no answer (${error.message})\n${describe(req)}`) })
    const window = { from, to: Date.now() }
    stats.requests++
    stats.byKind[req.kind.split('/')[0]] = (stats.byKind[req.kind.split('/')[0]] ?? 0) + 1
    stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1
    checkAnswer(req, res)
    const expected = (req as { expect?: number[] }).expect
    if (expected && !expected.includes(res.status)) throw new Error(`expected ${expected.join(' or ')} from the model\n${describe(req, res)}`)
    record(model, req, res, recipe, window)
  })
  const result = await fc.check(property, { numRuns: runs, seed, endOnFailure: true })
  if (result.failed) t.fail(`fuzz failure (seed ${seed}, path ${result.counterexamplePath}):\n${(result.errorInstance as Error)?.message ?? result.errorInstance}`)
  else t.pass(`${stats.requests} requests, no 5xx, every error problem+json`)
  await verifyStore(t, base, model)
  await closeAgent()
  return stats
}

async function getJson (base: URL, path: string) {
  const res = await fetch(new URL(path, base))
  return { status: res.status, body: await res.json() as any }
}

async function listAll (base: URL, path: string): Promise<Array<Record<string, unknown>>> {
  const all: Array<Record<string, unknown>> = []
  for (let cursor = 0; ;) {
    const page = (await getJson(base, `${path}?limit=100&cursor=${cursor}`)).body as Array<Record<string, unknown>>
    all.push(...page)
    if (page.length < 100) return all
    cursor = page[page.length - 1].id as number
  }
}

async function verifyStore (t: Test, base: URL, model: Model): Promise<void> {
  const users = await listAll(base, '/users')
  t.same(users, [...model.users].sort(([a], [b]) => a - b).map(([id, user]) => ({ id, ...user })), `GET /users lists exactly the ${model.users.size} users the accepted requests left`)
  let sameOne = true
  for (const [id, user] of model.users) {
    const one = await getJson(base, `/users/${id}`)
    if (one.status !== 200 || !isDeepStrictEqual(one.body, { id, ...user })) sameOne = t.fail(`GET /users/${id}: ${JSON.stringify(one)} ≠ ${JSON.stringify(user)}`)
  }
  t.ok(sameOne, 'each user reads back as stored')
  if (model.orders.size > 0) {
    const orders = await listAll(base, '/orders')
    t.same(orders, [...model.orders].sort(([a], [b]) => a - b).map(([id, order]) => ({ id, ...order })), `GET /orders lists exactly the ${model.orders.size} orders placed`)
  }
  const checked: string[] = []
  for (const [id, checksum] of model.tasks) {
    if (checksum !== null) {
      const task = await until(async () => {
        const read = await getJson(base, `/tasks/${id}`)
        return read.body.state === 'completed' && read
      }, { everyMs: 100, timeoutMs: 20_000, what: `task ${id} completed` }).catch((error: Error) => error)
      if (task instanceof Error) t.fail(`${task.message}; it should be completed with checksum ${checksum}`)
      else if (task.body.result?.checksum !== checksum) t.fail(`task ${id}: ${JSON.stringify(task.body)} should be completed with checksum ${checksum}`)
      else checked.push(id)
    } else {
      const task = await getJson(base, `/tasks/${id}`)
      if (task.status !== 200) t.fail(`task ${id} was accepted but reads ${task.status}`)
    }
  }
  if (model.tasks.size > 0) t.pass(`${model.tasks.size} accepted tasks exist; ${checked.length} valid ones completed with the checksum of what was sent`)
}
