// The floor for GET /orders/:id: the full platform with orders and users mounted, plus
// GET /baseline/orders/:id, which reads the order and its user straight from the two stores
// (no client call) and answers with the same schema, so the same bytes.
import { Type } from '@sinclair/typebox'
import { OrderNotFound, OrderView } from '../src/modules/orders/contract.js'
import { createOrderStore } from '../src/modules/orders/store.js'
import { orderTables } from '../src/modules/orders/tables.js'
import { createUserStore } from '../src/modules/users/store.js'
import { userTables } from '../src/modules/users/tables.js'
import { buildApp } from '../src/platform/app/build-app.js'
import { loadConfig } from '../src/platform/config/config.js'
import { loadModuleRegistry } from '../src/platform/contracts/module-registry.js'
import { problemResponse } from '../src/platform/primitives/problem.js'

const modules = ['orders', 'users']
const registry = await loadModuleRegistry()
const config = loadConfig({ ...process.env, MODULES: modules.join(',') }, registry)
const app = await buildApp(config, registry, { modules })

// The databases the mounted modules opened (SQLite files in DATA_DIR, or PostgreSQL where a
// URL is set): the same connections their own stores read through, closed with the app.
const orders = createOrderStore(await app.databases.open('orders', orderTables))
const users = createUserStore(await app.databases.open('users', userTables))

app.get('/baseline/orders/:id', {
  schema: {
    params: Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }),
    response: { 200: OrderView, 404: problemResponse('No order has this id') }
  }
}, async (request) => {
  const order = await orders.findById(request.params.id)
  if (!order) throw new OrderNotFound(request.params.id)
  const user = await users.findById(order.userId)
  return { ...order, user: user ? { name: user.name, email: user.email } : null, degraded: false }
})

process.once('SIGTERM', () => { void app.close() })

await app.listen({ port: config.PORT, host: config.HOST })
