import fp from 'fastify-plugin'
import { Type, type TSchema } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { problemResponse, problemType, sendProblem } from '../primitives/problem.js'
import { serviceName } from '../config/service-name.js'
import { within } from '../primitives/within.js'

export type ReadinessCheck = () => void | Promise<void>

const Checks = Type.Record(Type.String(), Type.String(), { description: 'each readiness check: "ok" or why it failed' })

/**
 * The sections of the GET /health report beyond its checks, by name. Each concern declares its
 * own (declaration merging, as Fastify's decorators) and gives its schema to this plugin.
 */
export interface HealthSections {}

export interface HealthOptions {
  /** The schema of each section a process of this kind may report. */
  sections: { [Name in keyof HealthSections]: TSchema }
}

const ReportBase = {
  status: Type.Union([Type.Literal('ready'), Type.Literal('not ready')], { description: 'what /health/ready would answer' }),
  service: Type.String(),
  pid: Type.Integer(),
  uptimeSeconds: Type.Number(),
  draining: Type.Boolean({ description: 'shutting down: still serving, no longer ready' }),
  checks: Checks
}

// Probes and dashboards need no credentials (service auth and rate limits skip /health).
function open (operationId: string) {
  return { tags: ['platform'], operationId, security: [] }
}

export interface Health {
  addCheck (name: string, check: ReadinessCheck): void
  /** Adds a section to the GET /health report, computed when it is asked for. */
  addSection<Name extends keyof HealthSections> (name: Name, describe: () => HealthSections[Name] | Promise<HealthSections[Name]>): void
  /** A section as it stands now; undefined where no concern of this process adds it. */
  section<Name extends keyof HealthSections> (name: Name): Promise<HealthSections[Name] | undefined>
}

declare module 'fastify' {
  interface FastifyInstance { health: Health }
}

async function health (app: FastifyInstance, options: HealthOptions) {
  const HealthReport = Type.Object({ ...ReportBase, ...Object.fromEntries(Object.entries(options.sections).map(([name, schema]) => [name, Type.Optional(schema as TSchema)])) })
  const checks = new Map<string, ReadinessCheck>()
  const sections = new Map<keyof HealthSections, () => unknown>()
  app.decorate('health', {
    addCheck: (name, check) => { checks.set(name, check) },
    addSection: (name, describe) => { sections.set(name, describe) },
    section: async (name) => await sections.get(name)?.() as never
  } satisfies Health)

  // All at once, each for at most HEALTH_CHECK_TIMEOUT_MS: a dependency that hangs fails its check
  // instead of holding the probe, and the answer never waits longer than one timeout.
  async function runChecks () {
    const timeoutMs = app.config.HEALTH_CHECK_TIMEOUT_MS
    const failures = await Promise.all([...checks].map(async ([name, check]) => {
      const failure = Promise.resolve().then(check).then(() => undefined, (error: unknown) => error instanceof Error ? error.message : String(error))
      return [name, await within(failure, timeoutMs, `no answer within ${timeoutMs} ms`)] as const
    }))
    const results: Record<string, string> = Object.fromEntries(failures.map(([name, failure]) => [name, failure ?? 'ok']))
    return { failed: failures.filter(([, failure]) => failure !== undefined).map(([name]) => name), results }
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
    const { failed, results } = await runChecks()
    if (failed.length === 0) return { status: 'ok' as const, checks: results }
    const code = 'CLV_NOT_READY'
    return sendProblem(reply, {
      type: problemType(code),
      title: 'Service Unavailable',
      status: 503,
      code,
      detail: `Not ready: ${failed.join(', ')}`,
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
    const { failed, results } = await runChecks()
    const report: Record<string, unknown> = {
      status: failed.length === 0 ? 'ready' : 'not ready',
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
