import Fastify from 'fastify'
import { eq } from 'drizzle-orm'
import { users } from './schema.mjs'

// Identical Fastify app for both drivers; only `db` differs.
export async function start (db, close) {
  const app = Fastify({ logger: false })
  app.get('/users/:id', async (req, reply) => {
    const id = Number(req.params.id)
    const rows = await db.select().from(users).where(eq(users.id, id))
    if (rows.length === 0) return reply.code(404).send({ error: 'not found' })
    return rows[0]
  })
  app.post('/users', async (req, reply) => {
    const { name, email } = req.body
    const rows = await db.insert(users).values({ name, email, createdAt: new Date().toISOString() }).returning()
    return reply.code(201).send(rows[0])
  })
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) })
  const stop = async () => { try { await app.close(); await close() } finally { process.exit(0) } }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  // die with the parent: runner holds our stdin open
  process.stdin.on('end', stop); process.stdin.resume()
  process.stdout.write('READY\n')
}
