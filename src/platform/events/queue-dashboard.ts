// Bull Board at /admin/queues over every Cleave event queue; only when Redis and an admin token are configured.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { requireAdminToken } from '../security/admin-auth.js'

export const queueDashboardPath = '/admin/queues'

// Bull Board's page links its web fonts from a font host: an admin page must call out to no one
// (its address and the admin's browser would be told to a third party). The link is taken out and
// the system fonts its CSS falls back to are used; the page's policy allows only this origin
// (helmet's default, less the https: it allows for styles and fonts).
const outsideLink = /<link\b[^>]*\bhref="(?:https?:)?\/\/[^"]*"[^>]*>\s*/gi
export const queueDashboardPolicy = [
  "default-src 'self'", "base-uri 'self'", "font-src 'self' data:", "form-action 'self'", "frame-ancestors 'self'",
  "img-src 'self' data:", "object-src 'none'", "script-src 'self'", "script-src-attr 'none'", "style-src 'self' 'unsafe-inline'"
].join(';')

async function queueDashboard (app: FastifyInstance) {
  const { REDIS_URL, ADMIN_TOKEN } = app.config
  if (!REDIS_URL || !ADMIN_TOKEN) return
  // Bull Board (and its page's assets) loaded only by a process that serves it.
  const [{ createBullBoard }, { BullMQAdapter }, { FastifyAdapter }] = await Promise.all([
    import('@bull-board/api'), import('@bull-board/api/bullMQAdapter'), import('@bull-board/fastify')
  ])
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
    admin.addHook('onRequest', async (_request, reply) => { reply.header('content-security-policy', queueDashboardPolicy) })
    admin.addHook('onSend', async (_request, reply, payload) => {
      const html = typeof payload === 'string' && String(reply.getHeader('content-type')).startsWith('text/html')
      return html ? payload.replace(outsideLink, '') : payload
    })
    await admin.register(serverAdapter.registerPlugin(), { prefix: queueDashboardPath })
  })
}

export default fp(queueDashboard, { name: 'queue-dashboard', dependencies: ['config', 'events'] })
