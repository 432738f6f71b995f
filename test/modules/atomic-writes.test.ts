// dialects: sqlite postgres
import t, { type Test } from 'tap'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { randomUUID } from 'node:crypto'
import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { createOrderOperations } from '../../src/modules/orders/operations.js'
import { createOrderStore } from '../../src/modules/orders/store.js'
import type { TaskPayload } from '../../src/modules/tasks/contract.js'
import { createTaskOperations } from '../../src/modules/tasks/operations.js'
import { createTaskStore } from '../../src/modules/tasks/store.js'
import { createUserOperations } from '../../src/modules/users/operations.js'
import { createUserStore } from '../../src/modules/users/store.js'
import type { OperationContext } from '../../src/platform/contracts/define-contract.js'
import type { Events } from '../../src/platform/events/index.js'
import { orderTables } from '../../src/modules/orders/tables.js'
import { taskTables } from '../../src/modules/tasks/tables.js'
import { userTables } from '../../src/modules/users/tables.js'
import { buildTestApp } from '../helpers/app.js'
import { queryRows, testDialect } from '../helpers/database.js'

// docs/guides/events.md, The outbox: "the event is a row in that module's own outbox table, so it exists exactly when the
// change does". Each module's own operation runs on its own store (atomically()) and the app's
// real events, on the module's database (SQLite, or PostgreSQL in the dialect matrix's second run); only
// publish is wrapped so that the write fails right after the event was recorded, and a turn of
// the event loop later (an async transaction on better-sqlite3 that drizzle runs does not roll
// back, drizzle-orm#1472). Afterwards the database, read outside the transaction, holds neither
// the business row nor the outbox row.

type App = Awaited<ReturnType<typeof buildTestApp>>

const crash = { message: 'the write fails after publish' }

/** app.events, except that publish throws once the event is in the outbox. */
function crashingEvents (app: App): Events {
  return {
    ...app.events,
    publish: async (...args: Parameters<Events['publish']>) => {
      await app.events.publish(...args)
      await nextTurn()
      throw new Error(crash.message)
    }
  } as Events
}

function contextOf (app: App): OperationContext {
  return { id: randomUUID(), log: app.log, headers: {} }
}

/** Committed row counts, read outside any transaction (on SQLite, the query-only connection). */
async function countsOnDisk (t: Test, app: App, module: string, tables: string[]): Promise<Record<string, number>> {
  const database = app.databases.get(module)!
  t.equal(database.dialect, testDialect(), `${module} is on ${testDialect()}`)
  const counts: Record<string, number> = {}
  for (const table of tables) counts[table] = Number((await queryRows<{ n: number }>(database, `select count(*) as n from ${table}`))[0]!.n)
  return counts
}

t.test('users: a create that fails after publish leaves no user and no user.created', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'] })
  const store = createUserStore(await app.databases.open('users', userTables))
  const failing = createUserOperations(store, crashingEvents(app))
  await t.rejects(failing.createUser({ body: { name: 'Ada', email: 'ada@example.com' } }, contextOf(app)), crash)
  t.same(await countsOnDisk(t, app, 'users', ['users', 'outbox']), { users: 0, outbox: 0 }, 'rolled back together')

  // The same write that does not fail leaves both: the check above can see them.
  const working = createUserOperations(store, app.events)
  const grace = await working.createUser({ body: { name: 'Grace', email: 'grace@example.com' } }, contextOf(app))
  t.same(await countsOnDisk(t, app, 'users', ['users', 'outbox']), { users: 1, outbox: 1 }, 'committed together')

  await t.rejects(failing.deleteUser({ params: { id: grace.id } }, contextOf(app)), crash)
  t.same(await countsOnDisk(t, app, 'users', ['users', 'outbox']), { users: 1, outbox: 1 }, 'a failed delete keeps the user and adds no user.deleted')
})

t.test('orders: a placed order that fails after publish leaves no order, no items and no order.placed', async (t) => {
  const app = await buildTestApp(t, { modules: ['users', 'orders'] })
  const user = await app.inject({ method: 'POST', url: '/users', payload: { name: 'Ada', email: 'ada@example.com' } })
  t.equal(user.statusCode, 201)
  const store = createOrderStore(await app.databases.open('orders', orderTables))
  const order = { body: { userId: user.json().id, items: [{ sku: 'A-1', qty: 2 }, { sku: 'B-7', qty: 1 }] } }

  await t.rejects(createOrderOperations(store, app.clients.users, crashingEvents(app)).placeOrder(order, contextOf(app)), crash)
  t.same(await countsOnDisk(t, app, 'orders', ['orders', 'order_items', 'outbox']), { orders: 0, order_items: 0, outbox: 0 }, 'rolled back together')

  await createOrderOperations(store, app.clients.users, app.events).placeOrder(order, contextOf(app))
  t.same(await countsOnDisk(t, app, 'orders', ['orders', 'order_items', 'outbox']), { orders: 1, order_items: 2, outbox: 1 }, 'committed together')
})

t.test('tasks: a queued task that fails after publish leaves no task and no task.queued', async (t) => {
  const app = await buildTestApp(t, { modules: ['tasks'] })
  const store = createTaskStore(await app.databases.open('tasks', taskTables))

  await t.rejects(createTaskOperations(store, crashingEvents(app)).queueTask({ body: { text: 'never stored' } as TaskPayload }, contextOf(app)), crash)
  t.same(await countsOnDisk(t, app, 'tasks', ['tasks', 'outbox']), { tasks: 0, outbox: 0 }, 'rolled back together')

  await createTaskOperations(store, app.events).queueTask({ body: { text: 'stored' } as TaskPayload }, contextOf(app))
  t.same(await countsOnDisk(t, app, 'tasks', ['tasks', 'outbox']), { tasks: 1, outbox: 1 }, 'committed together')
})

t.test('a read outside the transaction does not see its writes before they commit', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'] })
  const store = createUserStore(await app.databases.open('users', userTables))
  let seenInside: unknown
  await store.atomically(async (tx) => {
    const ada = await store.insert(tx, { name: 'Ada', email: 'ada@example.com' })
    await nextTurn()
    seenInside = await store.findById(ada.id)
  })
  t.equal(seenInside, undefined, 'not visible while the transaction is open')
  t.equal((await store.list(0, 10)).length, 1, 'visible once committed')
})

t.test('every store with atomically() is covered here', async (t) => {
  const modulesDir = join(import.meta.dirname, '../../src/modules')
  const withAtomically = readdirSync(modulesDir)
    .filter((module) => existsSync(join(modulesDir, module, 'store.ts')) && readFileSync(join(modulesDir, module, 'store.ts'), 'utf8').includes('atomically'))
    .sort()
  t.same(withAtomically, ['orders', 'tasks', 'users'], 'a new store with atomically() needs its test above')
})
