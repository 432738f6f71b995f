// The breaker owns the call's timeout (opossum rejects at CALL_TIMEOUT_MS and counts it); this
// deadline, a little later, cuts what the call is still doing: its request under way (the socket
// freed) or its wait before a retry. Inside the breaker, so no timer is made for a call the open
// breaker refuses.
import type { Settings, Stage } from './pipeline.js'

/** Past the breaker's timeout: the breaker rejects first, then the request is cut. */
export const abortGraceMs = 50

/**
 * A call's deadline: a plain object the stages ask, where an AbortController and its listeners
 * cost every call more than the timer itself (bench/README.md).
 */
export class Deadline {
  /** Why the call was cut, once the deadline has passed. */
  passed: Error | undefined
  #cut: ((reason: Error) => void) | undefined

  pass (reason: Error): void {
    this.passed = reason
    this.#cut?.(reason)
  }

  /** `cut` runs if the deadline passes before `release`; at once if it already has. */
  watch (cut: (reason: Error) => void): void {
    if (this.passed) cut(this.passed)
    else this.#cut = cut
  }

  release (): void {
    this.#cut = undefined
  }

  /** Waits `ms`, or rejects when the deadline passes first. */
  sleep (ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.release(); resolve() }, ms)
      this.watch((reason) => { clearTimeout(timer); reject(reason) })
    })
  }
}

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
