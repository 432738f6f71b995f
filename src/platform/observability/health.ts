import fp from 'fastify-plugin'
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { problemResponse, problemType } from '../primitives/problem.js'
import { sendProblem } from '../primitives/problem.js'
import { serviceName } from '../config/service-name.js'

export type ReadinessCheck = () => void | Promise<void>

const Checks = Type.Record(Type.String(), Type.String(), { description: 'each readiness check: "ok" or why it failed' })

export const BreakerState = Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half-open')])

const Breaker = Type.Object({
  state: BreakerState,
  window: Type.Object({
    calls: Type.Integer({ minimum: 0 }),
    successes: Type.Integer({ minimum: 0 }),
    failures: Type.Integer({ minimum: 0, description: 'timeouts included' }),
    timeouts: Type.Integer({ minimum: 0 }),
    rejected: Type.Integer({ minimum: 0, description: 'refused by the open breaker without a try' })
  }, { description: 'counts over the breaker\'s rolling window (the last 10 s)' })
})
export type Breaker = Static<typeof Breaker>

/** Sections other platform parts add to the GET /health report. */
const Sections = Type.Object({
  dependencies: Type.Optional(Type.Record(Type.String(), Breaker, {
    description: 'the circuit breaker of each module this process has called over the network (the gateway: of each module it routes to), by module'
  })),
  upstreams: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()), {
    description: 'gateway: the instances discovery knows for each module'
  })),
  amqp: Type.Optional(Type.Object({
    connection: Type.Union([Type.Literal('up'), Type.Literal('down')]),
    exchange: Type.String(),
    queues: Type.Array(Type.String(), { description: 'the queues this process consumes and dead-letters into' })
  }, { description: 'RabbitMQ (with AMQP_URL): shown, never a readiness check, since the outbox keeps events while it is down' })),
  ejected: Type.Optional(Type.Record(Type.String(), Type.Union([
    Type.Object({
      reason: Type.Literal('refused'),
      forMs: Type.Integer({ minimum: 0, description: 'left of its ejection; 0: the next request that chooses it tries it' }),
      ejections: Type.Integer({ minimum: 1, description: 'ejections in a row without an answer; each lasts twice the one before' })
    }, { description: 'accepted no connection: passed over while another instance is admitted' }),
    Type.Object({
      reason: Type.Literal('health check'),
      failedChecks: Type.Integer({ minimum: 1, description: 'health checks failed in a row' })
    }, { description: 'fails its health checks (hung, or answering 5xx): out of rotation, never tried, until it passes one' })
  ]), {
    description: 'instances (by URL) this process takes out of turn, for the gateway and the clients alike, until they answer again'
  }))
})
type Sections = Static<typeof Sections>

const HealthReport = Type.Composite([Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not ready')], { description: 'what /health/ready would answer' }),
  service: Type.String(),
  pid: Type.Integer(),
  uptimeSeconds: Type.Number(),
  draining: Type.Boolean({ description: 'shutting down: still serving, no longer ready' }),
  checks: Checks
}), Sections])

// Probes and dashboards need no credentials (service auth and rate limits skip /health).
function open (operationId: string) {
  return { tags: ['platform'], operationId, security: [] }
}

export interface Health {
  addCheck (name: string, check: ReadinessCheck): void
  /** Adds a section to the GET /health report, computed when it is asked for. */
  addSection<Name extends keyof Sections> (name: Name, describe: () => Sections[Name] | Promise<Sections[Name]>): void
}

declare module 'fastify' {
  interface FastifyInstance { health: Health }
}

async function health (app: FastifyInstance) {
  const checks = new Map<string, ReadinessCheck>()
  const sections = new Map<keyof Sections, () => unknown>()
  app.decorate('health', {
    addCheck: (name, check) => { checks.set(name, check) },
    addSection: (name, describe) => { sections.set(name, describe) }
  } satisfies Health)

  async function runChecks () {
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
    return { ready, results }
  }

  app.get('/health/live', {
    schema: {
      ...open('platform.live'),
      summary: 'The process is up',
      response: { 200: Type.Object({ status: Type.Literal('ok') }, { 'x-response-description': 'The process runs and answers' }) }
    }
  }, async () => ({ status: 'ok' as const }))

  app.get('/health/ready', {
    schema: {
      ...open('platform.ready'),
      summary: 'Every dependency this process needs answers, and it is not shutting down',
      response: { 200: Type.Object({ status: Type.Literal('ok'), checks: Checks }, { 'x-response-description': 'Ready: every check passed' }), 503: problemResponse('A dependency is not ready, or the process is draining') }
    }
  }, async (request, reply) => {
    const { ready, results } = await runChecks()
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

  // A report for people and dashboards, not a probe: it answers 200 whenever it can be written.
  // Breaker states are shown, never counted against readiness: a dependency's outage must not take
  // this process out of its load balancer (every instance would go at once, and with them the
  // requests that do not need that dependency); the breaker and the call sites' fallbacks deal with it.
  app.get('/health', {
    schema: {
      ...open('platform.health'),
      summary: 'Readiness checks, drain state, circuit breakers and process facts in one report',
      response: { 200: { ...HealthReport, 'x-response-description': 'The report, ready or not' } }
    }
  }, async () => {
    const { ready, results } = await runChecks()
    const report: Record<string, unknown> = {
      status: ready ? 'ready' : 'not ready',
      service: serviceName(app.config),
      pid: process.pid,
      uptimeSeconds: Math.round(process.uptime()),
      draining: app.draining ?? false,
      checks: results
    }
    for (const [name, describe] of sections) report[name] = await describe()
    return report
  })
}

export default fp(health, { name: 'health', dependencies: ['config'] })
