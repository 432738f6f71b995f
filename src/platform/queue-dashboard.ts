// Bull Board at /admin/queues over every Cleave event queue; only when Redis is configured.
import fp from 'fastify-plugin'
import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { FastifyAdapter } from '@bull-board/fastify'
import type { FastifyInstance } from 'fastify'

export const queueDashboardPath = '/admin/queues'

async function queueDashboard (app: FastifyInstance) {
  if (!app.config.REDIS_URL) return
  const serverAdapter = new FastifyAdapter().setBasePath(queueDashboardPath)
  createBullBoard({
    queues: app.events.queues().map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Cleave queues' } }
  })
  // Encapsulated: Bull Board's error handler, @fastify/static and @fastify/view stay in its scope.
  // Its routes and static files declare schema.hide, so /docs/json does not list them.
  await app.register(serverAdapter.registerPlugin(), { prefix: queueDashboardPath })
}

export default fp(queueDashboard, { name: 'queue-dashboard', dependencies: ['config', 'events'] })
