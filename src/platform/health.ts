import fp from 'fastify-plugin'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { problemResponse, problemType } from './problem.js'
import { sendProblem } from './errors.js'

export type ReadinessCheck = () => void | Promise<void>

export interface Health {
  addCheck (name: string, check: ReadinessCheck): void
}

declare module 'fastify' {
  interface FastifyInstance { health: Health }
}

const Checks = Type.Record(Type.String(), Type.String(), { description: 'each check: "ok" or why it failed' })

async function health (app: FastifyInstance) {
  const checks = new Map<string, ReadinessCheck>()
  app.decorate('health', { addCheck: (name, check) => { checks.set(name, check) } } satisfies Health)

  app.get('/health/live', {
    schema: { tags: ['platform'], summary: 'The process is up', response: { 200: Type.Object({ status: Type.Literal('ok') }) } }
  }, async () => ({ status: 'ok' as const }))

  app.get('/health/ready', {
    schema: {
      tags: ['platform'],
      summary: 'Every dependency this process needs answers',
      response: { 200: Type.Object({ status: Type.Literal('ok'), checks: Checks }), 503: problemResponse('A dependency is not ready') }
    }
  }, async (request, reply) => {
    const results: Record<string, string> = {}
    let ready = true
    for (const [name, check] of checks) {
      try {
        await check()
        results[name] = 'ok'
      } catch (error) {
        ready = false
        results[name] = (error as Error).message
      }
    }
    if (ready) return { status: 'ok' as const, checks: results }
    const code = 'CLV_NOT_READY'
    return sendProblem(reply, {
      type: problemType(code),
      title: 'Service Unavailable',
      status: 503,
      code,
      detail: `Not ready: ${Object.keys(results).filter((name) => results[name] !== 'ok').join(', ')}`,
      instance: request.url,
      requestId: request.id,
      checks: results
    })
  })
}

export default fp(health, { name: 'health' })
