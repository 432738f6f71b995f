import fp from 'fastify-plugin'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The phase before close(): not ready, withdrawn from discovery, still serving for
     * `delayMs` (default DRAIN_DELAY_MS) while load balancers and other processes stop choosing
     * this one. Calling it again returns the drain already under way.
     */
    drain (delayMs?: number): Promise<void>
    readonly draining: boolean
  }
}

// Shutdown in two phases. Draining: the process still serves everything, but /health/ready
// says 503 and discovery no longer lists it, so callers move away; meanwhile every response
// tells its client to hang up, so no idle keep-alive connection is left for close() to cut
// under a request the client is about to send. Closing (app.close()): the listener stops
// accepting, in-flight requests and running jobs finish, then connections and files close.
async function shutdown (app: FastifyInstance) {
  let draining: Promise<void> | undefined
  let closing = false
  // close() during the wait ends it: closing is what the wait was leading to.
  const closed = new AbortController()

  async function drain (delayMs: number) {
    app.log.info({ phase: 'draining' }, 'draining: not ready, withdrawing from discovery')
    await app.discovery.announcer.withdraw()
    app.log.info({ phase: 'draining', delayMs }, `draining: still serving for ${delayMs} ms`)
    await sleep(delayMs, undefined, { signal: closed.signal }).catch(() => {})
    app.log.info({ phase: 'drained' }, 'drained: closing')
  }

  app.decorate('drain', (delayMs = app.config.DRAIN_DELAY_MS) => (draining ??= drain(delayMs)))
  app.decorate('draining', { getter: () => draining !== undefined })

  app.health.addCheck('draining', () => {
    if (draining) throw new Error('shutting down')
  })
  app.addHook('preClose', async () => {
    closing = true
    closed.abort()
  })
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining || closing) reply.header('connection', 'close')
    done(null, payload)
  })
}

export default fp(shutdown, { name: 'shutdown', dependencies: ['config', 'health', 'discovery'] })
