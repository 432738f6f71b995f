// The floor the full app is compared with: same route, same SQLite file and query, nothing else.
import Database from 'better-sqlite3'
import Fastify from 'fastify'
import { join } from 'node:path'

interface Row { id: number, name: string, email: string, created_at: string }

const db = new Database(join(process.env.DATA_DIR ?? './data', 'users.sqlite'), { readonly: true })
const byId = db.prepare<[number], Row>('select id, name, email, created_at from users where id = ?')

const app = Fastify()
app.addHook('onClose', async () => { db.close() })

app.get<{ Params: { id: string } }>('/users/:id', async (request, reply) => {
  const row = byId.get(Number(request.params.id))
  if (!row) return reply.code(404).send({ title: 'Not Found' })
  return { id: row.id, name: row.name, email: row.email, createdAt: row.created_at }
})

process.once('SIGTERM', () => { void app.close() })

await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' })
