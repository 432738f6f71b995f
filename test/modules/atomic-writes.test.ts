import t, { type Test } from 'tap'
import Database from 'better-sqlite3'
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
import { databaseFile } from '../../src/platform/storage/sqlite.js'
import { buildTestApp } from '../helpers/app.js'

// README: "the event is a row in that module's own outbox table, so it exists exactly when the
// change does". Each module's own operation runs on its own store (atomically()) and the app's
// real events, on the module's SQLite database; only publish is wrapped so that the write
// fails right after the event was recorded. Afterwards the SQLite file, read by a connection of
// its own, holds neither the business row nor the outbox row.

type App = Awaited<ReturnType<typeof buildTestApp>>

const crash = { message: 'the write fails after publish' }

/** app.events, except that publish throws once the event is in the outbox. */
function crashingEvents (app: App): Events {
  return {
    ...app.events,
    publish: (...args: Parameters<Events['publish']>) => {
      app.events.publish(...args)
      throw new Error(crash.message)
    }
  } as Events
}

function contextOf (app: App): OperationContext {
  return { id: randomUUID(), log: app.log, headers: {} }
}

/** Row counts read straight from the module's SQLite file, not through the app's connection. */
function countsOnDisk (t: Test, app: App, module: string, tables: string[]): Record<string, number> {
  const file = new Database(databaseFile(app.config.DATA_DIR, module), { readonly: true, fileMustExist: true })
  t.teardown(() => file.close())
  return Object.fromEntries(tables.map((table) => [table, (file.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n]))
}

t.test('users: a create that fails after publish leaves no user and no user.created', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'] })
  const store = createUserStore(app.databases.open('users'))
  const failing = createUserOperations(store, crashingEvents(app))
  await t.rejects(failing.createUser({ body: { name: 'Ada', email: 'ada@example.com' } }, contextOf(app)), crash)
  t.same(countsOnDisk(t, app, 'users', ['users', 'outbox']), { users: 0, outbox: 0 }, 'rolled back together')

  // The same write that does not fail leaves both: the check above can see them.
  const working = createUserOperations(store, app.events)
  const grace = await working.createUser({ body: { name: 'Grace', email: 'grace@example.com' } }, contextOf(app))
  t.same(countsOnDisk(t, app, 'users', ['users', 'outbox']), { users: 1, outbox: 1 }, 'committed together')

  await t.rejects(failing.deleteUser({ params: { id: grace.id } }, contextOf(app)), crash)
  t.same(countsOnDisk(t, app, 'users', ['users', 'outbox']), { users: 1, outbox: 1 }, 'a failed delete keeps the user and adds no user.deleted')
})

t.test('orders: a placed order that fails after publish leaves no order, no items and no order.placed', async (t) => {
  const app = await buildTestApp(t, { modules: ['users', 'orders'] })
  const user = await app.inject({ method: 'POST', url: '/users', payload: { name: 'Ada', email: 'ada@example.com' } })
  t.equal(user.statusCode, 201)
  const store = createOrderStore(app.databases.open('orders'))
  const order = { body: { userId: user.json().id, items: [{ sku: 'A-1', qty: 2 }, { sku: 'B-7', qty: 1 }] } }

  await t.rejects(createOrderOperations(store, app.clients.users, crashingEvents(app)).placeOrder(order, contextOf(app)), crash)
  t.same(countsOnDisk(t, app, 'orders', ['orders', 'order_items', 'outbox']), { orders: 0, order_items: 0, outbox: 0 }, 'rolled back together')

  await createOrderOperations(store, app.clients.users, app.events).placeOrder(order, contextOf(app))
  t.same(countsOnDisk(t, app, 'orders', ['orders', 'order_items', 'outbox']), { orders: 1, order_items: 2, outbox: 1 }, 'committed together')
})

t.test('tasks: a queued task that fails after publish leaves no task and no task.queued', async (t) => {
  const app = await buildTestApp(t, { modules: ['tasks'] })
  const store = createTaskStore(app.databases.open('tasks'))

  await t.rejects(createTaskOperations(store, crashingEvents(app)).queueTask({ body: { text: 'never stored' } as TaskPayload }, contextOf(app)), crash)
  t.same(countsOnDisk(t, app, 'tasks', ['tasks', 'outbox']), { tasks: 0, outbox: 0 }, 'rolled back together')

  await createTaskOperations(store, app.events).queueTask({ body: { text: 'stored' } as TaskPayload }, contextOf(app))
  t.same(countsOnDisk(t, app, 'tasks', ['tasks', 'outbox']), { tasks: 1, outbox: 1 }, 'committed together')
})

t.test('every store with atomically() is covered here', async (t) => {
  const modulesDir = join(import.meta.dirname, '../../src/modules')
  const withAtomically = readdirSync(modulesDir)
    .filter((module) => existsSync(join(modulesDir, module, 'store.ts')) && readFileSync(join(modulesDir, module, 'store.ts'), 'utf8').includes('atomically'))
    .sort()
  t.same(withAtomically, ['orders', 'tasks', 'users'], 'a new store with atomically() needs its test above')
})
