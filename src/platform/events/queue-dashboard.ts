// Bull Board at /admin/queues over every Cleave event queue; only when Redis and an admin token are configured.
import fp from 'fastify-plugin'
import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { FastifyAdapter } from '@bull-board/fastify'
import type { FastifyInstance } from 'fastify'
import { requireAdminToken } from '../security/admin-auth.js'

export const queueDashboardPath = '/admin/queues'

async function queueDashboard (app: FastifyInstance) {
  const { REDIS_URL, ADMIN_TOKEN } = app.config
  if (!REDIS_URL || !ADMIN_TOKEN) return
  const serverAdapter = new FastifyAdapter().setBasePath(queueDashboardPath)
  createBullBoard({
    queues: app.events.queues().map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Cleave queues' } }
  })
  // Encapsulated: Bull Board's error handler, @fastify/static and @fastify/view stay in its scope.
  // Its routes and static files declare schema.hide, so /docs/json does not list them.
  await app.register(async (admin) => {
    admin.addHook('onRequest', requireAdminToken(ADMIN_TOKEN))
    await admin.register(serverAdapter.registerPlugin(), { prefix: queueDashboardPath })
  })
}

export default fp(queueDashboard, { name: 'queue-dashboard', dependencies: ['config', 'events'] })
