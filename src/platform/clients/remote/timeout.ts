// The breaker owns the call's timeout (opossum rejects at CALL_TIMEOUT_MS and counts it); this
// deadline, a little later, cuts what the call is still doing: its request under way (the socket
// freed) or its wait before a retry. Inside the breaker, so no timer is made for a call the open
// breaker refuses.
import { Deadline } from './deadline.js'
import type { Settings, Stage } from './pipeline.js'

/** Past the breaker's timeout: the breaker rejects first, then the request is cut. */
export const abortGraceMs = 50

// The timer ends with the call: AbortSignal.timeout's could not be cleared, and fired for every
// call long after its answer.
export function timeoutStage (settings: Settings): Stage {
  return (next) => async (call) => {
    const deadline = new Deadline()
    const timer = setTimeout(() => { deadline.pass(new DOMException('The operation was aborted due to timeout', 'TimeoutError')) }, settings().timeoutMs + abortGraceMs)
    call.deadline = deadline
    try {
      return await next(call)
    } finally {
      clearTimeout(timer)
    }
  }
}
