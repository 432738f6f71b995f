// The PostgreSQL floor: the users routes the bench measures, on the app's own driver and pool
// settings, the same drizzle queries and the same response bodies, and nothing else.
import { eq } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import Fastify from 'fastify'
import pg from 'pg'
import { userTables } from '../src/modules/users/tables.js'

const url = process.env.DATABASE_URL
if (!url) throw new Error('DATABASE_URL: expected a postgres:// URL')

// As src/platform/storage/postgres.ts opens the users module's pool: its size, search path and int8 parser.
const pool = new pg.Pool({
  connectionString: url,
  max: Number(process.env.DATABASE_POOL_MAX ?? 10),
  options: '-c search_path=users',
  types: { getTypeParser: (oid: number, format?: 'text' | 'binary') => oid === 20 ? Number : pg.types.getTypeParser(oid, format as 'text') }
})
pool.on('error', (error) => console.error(`database: a connection was lost: ${error.message}`))
const db = drizzle({ client: pool })
const { users } = userTables.postgres

const app = Fastify()
app.addHook('onClose', async () => { await pool.end() })

app.get<{ Params: { id: string } }>('/users/:id', async (request, reply) => {
  const [row] = await db.select().from(users).where(eq(users.id, Number(request.params.id)))
  if (!row) return reply.code(404).send({ title: 'Not Found' })
  return { id: row.id, name: row.name, email: row.email, createdAt: row.createdAt }
})

// The users store's insert, without the transaction and outbox row the app writes with it.
app.post<{ Body: { name: string, email: string } }>('/users', async (request, reply) => {
  const { name, email } = request.body
  const [row] = await db.insert(users).values({ name, email, createdAt: new Date().toISOString() }).returning()
  return reply.code(201).header('location', `/users/${row.id}`).send({ id: row.id, name: row.name, email: row.email, createdAt: row.createdAt })
})

process.once('SIGTERM', () => { void app.close() })

await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' })
