// The breaker owns the call's timeout (opossum rejects at CALL_TIMEOUT_MS and counts it); this
// abort, a little later, frees the socket of a request still under way. Inside the breaker, so
// no timer is made for a call the open breaker refuses.
import type { Settings, Stage } from './pipeline.js'

/** Past the breaker's timeout: the breaker rejects first, then the request is cut. */
export const abortGraceMs = 50

// Not AbortSignal.timeout: its timer cannot be cleared, so it fired for every call, long after the
// answer, and made a DOMException (a stack trace) each time, the largest JS cost of a remote call.
// This timer ends with the call.
export function timeoutStage (settings: Settings): Stage {
  return (next) => async (call) => {
    const controller = new AbortController()
    const timer = setTimeout(() => { controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')) }, settings().timeoutMs + abortGraceMs)
    call.signal = controller.signal
    try {
      return await next(call)
    } finally {
      clearTimeout(timer)
    }
  }
}
