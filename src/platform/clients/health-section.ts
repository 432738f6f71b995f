// The clients' part of GET /health: the breaker of each module called over the network. The
// gateway reports its breakers under the same name and shape.
import { Type, type Static } from '@sinclair/typebox'

export const BreakerReport = Type.Object({
  state: Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half-open')]),
  window: Type.Object({
    calls: Type.Integer({ minimum: 0 }),
    successes: Type.Integer({ minimum: 0 }),
    failures: Type.Integer({ minimum: 0, description: 'timeouts included' }),
    timeouts: Type.Integer({ minimum: 0 }),
    rejected: Type.Integer({ minimum: 0, description: 'refused by the open breaker without a try' })
  }, { description: 'counts over the breaker\'s rolling window (the last 10 s)' })
})
export type BreakerReport = Static<typeof BreakerReport>

export const DependenciesSection = Type.Record(Type.String(), BreakerReport, {
  description: 'the circuit breaker of each module this process has called over the network (the gateway: of each module it routes to), by module'
})

declare module '../observability/health.js' {
  interface HealthSections { dependencies: Static<typeof DependenciesSection> }
}
