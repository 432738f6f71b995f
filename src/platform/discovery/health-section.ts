// Discovery's part of GET /health: the instances out of turn, for the gateway and the clients alike.
import { Type, type Static } from '@sinclair/typebox'

export const InstanceReport = Type.Union([
  Type.Object({
    reason: Type.Literal('refused'),
    forMs: Type.Integer({ minimum: 0, description: 'left of its ejection; 0: the next request that chooses it tries it' }),
    ejections: Type.Integer({ minimum: 1, description: 'ejections in a row without an answer; each lasts twice the one before' })
  }, { description: 'accepted no connection: passed over while another instance is admitted' }),
  Type.Object({
    reason: Type.Literal('health check'),
    failedChecks: Type.Integer({ minimum: 1, description: 'health checks failed in a row' })
  }, { description: 'fails its health checks (hung, or answering 5xx): out of rotation, never tried, until it passes one' })
])
export type InstanceReport = Static<typeof InstanceReport>

export const EjectedSection = Type.Record(Type.String(), InstanceReport, {
  description: 'instances (by URL) this process takes out of turn, for the gateway and the clients alike, until they answer again'
})

declare module '../observability/health.js' {
  interface HealthSections { ejected: Static<typeof EjectedSection> }
}
