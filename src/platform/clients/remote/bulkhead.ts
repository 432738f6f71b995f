// At most `concurrency` calls to one target in flight from this process: over it, a call fails at
// once (EBULKHEAD, which the unavailable stage turns into DependencyUnavailable), so a slow target
// cannot take every slot its callers have. Outside the breaker: a full bulkhead is the callers'
// load, not the target's health, so a refused call is no breaker call and never opens it, and it
// costs no timer, instance lookup or socket. opossum's own `capacity` cannot serve: its semaphore
// is sized once when the breaker is made, and it counts a refusal (ESEMLOCKED) as a failure.
import type { Settings, Stage } from './pipeline.js'

export const bulkheadCode = 'EBULKHEAD'

export class BulkheadFull extends Error {
  readonly code = bulkheadCode
  constructor (readonly limit: number) {
    super(`too many calls in flight (${limit})`)
    this.name = 'BulkheadFull'
  }
}

/** refused: counted on each call refused (cleave_breaker_events_total{event="bulkhead"}). */
export function bulkheadStage (settings: Settings, refused: { inc (by?: number): void }): Stage {
  // Served at 0 from the start, so a rate() sees the first refusal as a rise.
  refused.inc(0)
  let inFlight = 0
  return (next) => async (call) => {
    // Read on each call: a runtime change applies to the next one; calls already in flight go on.
    const limit = settings().concurrency
    if (inFlight >= limit) {
      refused.inc()
      throw new BulkheadFull(limit)
    }
    inFlight++
    try {
      return await next(call)
    } finally {
      inFlight--
    }
  }
}
