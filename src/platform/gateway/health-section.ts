// The gateway's part of GET /health: the instances it can route each module to.
import { Type, type Static } from '@sinclair/typebox'

export const UpstreamsSection = Type.Record(Type.String(), Type.Array(Type.String()), {
  description: 'gateway: the instances discovery knows for each module'
})

declare module '../observability/health.js' {
  interface HealthSections { upstreams: Static<typeof UpstreamsSection> }
}
