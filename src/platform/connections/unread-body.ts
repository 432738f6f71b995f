import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

// An answer sent before the request's body is all in (a 404, 415 or 401 to a POST, or a 413
// whatever its cause) would otherwise keep the connection: Node reads and discards the rest of
// the body to reach the next request, however long it is (a chunk may declare 2^64-1 bytes, which
// llhttp accepts), until the request timeout cuts it. Closing after the answer frees the
// connection at once. `complete` exists only on a real socket's request (inject has none).
async function unreadBody (app: FastifyInstance) {
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.raw.complete === false) reply.header('connection', 'close')
    done(null, payload)
  })
}

export default fp(unreadBody, { name: 'unread-body' })
