import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

// Once closing starts, every response still being written tells its client to hang up,
// so a keep-alive connection cannot hold the process open after its last request.
async function shutdown (app: FastifyInstance) {
  let closing = false
  app.addHook('preClose', async () => { closing = true })
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })
}

export default fp(shutdown, { name: 'shutdown' })
