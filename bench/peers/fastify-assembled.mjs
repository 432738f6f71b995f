// What a careful team assembles on Fastify for the features Cleave has on GET /users/:id: security
// headers, a rate limit, Prometheus metrics, request ids, an access log at LOG_LEVEL, a validated
// parameter and a serialized answer. Tracing comes from outside: `--import ./otel.mjs`.
import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import Fastify from 'fastify'
import metrics from 'fastify-metrics'
import { randomUUID } from 'node:crypto'
import { listenOptions, openUsers } from './users-store.mjs'

const users = openUsers(process.env.DATA_DIR ?? './data')
const app = Fastify({
  logger: { level: process.env.LOG_LEVEL ?? 'info' },
  requestIdHeader: 'x-request-id',
  genReqId: () => randomUUID()
})
app.addHook('onSend', async (request, reply) => { reply.header('x-request-id', request.id) })
app.addHook('onClose', async () => users.close())
await app.register(helmet)
// High enough never to refuse the bench, as a team's limit is high enough for its real traffic.
await app.register(rateLimit, { max: 1_000_000_000, timeWindow: '1 minute' })
await app.register(metrics.default ?? metrics, { endpoint: '/metrics' })

const User = {
  type: 'object',
  properties: { id: { type: 'integer' }, name: { type: 'string' }, email: { type: 'string' }, createdAt: { type: 'string' } },
  required: ['id', 'name', 'email', 'createdAt']
}
app.get('/users/:id', {
  schema: {
    params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] },
    response: { 200: User }
  }
}, async (request, reply) => users.byId(request.params.id) ?? reply.code(404).send({ title: 'Not Found' }))

process.once('SIGTERM', () => { void app.close() })
await app.listen(listenOptions())
