// The floor for a hop: GET /orders/:id on bare Fastify and better-sqlite3, the same bytes as Cleave's.
// Without USERS_URL it reads the user from users.sqlite itself (one process); with it, it asks
// bare-server.ts for the user with one undici request (split).
import Database from 'better-sqlite3'
import Fastify from 'fastify'
import { join } from 'node:path'
import { Agent, request } from 'undici'

interface OrderRow { id: number, user_id: number, created_at: string }
interface ItemRow { sku: string, qty: number }
interface User { name: string, email: string }

const dataDir = process.env.DATA_DIR ?? './data'
const usersUrl = process.env.USERS_URL

const app = Fastify()
const orders = new Database(join(dataDir, 'orders.sqlite'), { readonly: true })
app.addHook('onClose', async () => { orders.close() })
const orderById = orders.prepare<[number], OrderRow>('select id, user_id, created_at from orders where id = ?')
const itemsOf = orders.prepare<[number], ItemRow>('select sku, qty from order_items where order_id = ? order by position')

function localUsers (): (id: number) => Promise<User> {
  const users = new Database(join(dataDir, 'users.sqlite'), { readonly: true })
  app.addHook('onClose', async () => { users.close() })
  const userById = users.prepare<[number], User>('select name, email from users where id = ?')
  return async (id) => userById.get(id)!
}

function remoteUsers (url: string): (id: number) => Promise<User> {
  const agent = new Agent()
  app.addHook('onClose', async () => { await agent.close() })
  return async (id) => {
    const { body } = await request(`${url}/users/${id}`, { dispatcher: agent })
    const user = await body.json() as User
    return { name: user.name, email: user.email }
  }
}

const userOf = usersUrl ? remoteUsers(usersUrl) : localUsers()

app.get<{ Params: { id: string } }>('/orders/:id', async ({ params }, reply) => {
  const order = orderById.get(Number(params.id))
  if (!order) return reply.code(404).send({ title: 'Not Found' })
  const items = itemsOf.all(order.id)
  // Keys in the order of Cleave's OrderView schema, so the bytes match.
  return { id: order.id, userId: order.user_id, items, createdAt: order.created_at, user: await userOf(order.user_id), degraded: false }
})

process.once('SIGTERM', () => { void app.close() })

await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' })
