// The breaker owns the call's timeout (opossum rejects at CALL_TIMEOUT_MS and counts it); this
// abort, a little later, frees the socket of a request still under way. Inside the breaker, so
// no timer is made for a call the open breaker refuses.
import type { Settings, Stage } from './pipeline.js'

/** Past the breaker's timeout: the breaker rejects first, then the request is cut. */
export const abortGraceMs = 50

export function timeoutStage (settings: Settings): Stage {
  return (next) => (call) => {
    call.signal = AbortSignal.timeout(settings().timeoutMs + abortGraceMs)
    return next(call)
  }
}
