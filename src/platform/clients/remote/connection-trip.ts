// Opens a breaker after N calls in a row found no instance that accepts a connection. The
// percentage rule alone waits until the failures outnumber the successes still in the window,
// which under load is thousands of calls; a refused connection is unambiguous, so a short run
// of them is enough. opossum 9 has no such rule (maxFailures was removed).
import type CircuitBreaker from 'opossum'
import { isConnectionFailure } from '../../http/retry-policy.js'

/** limit() is read on each failure, so a runtime change applies at once; 0 turns the rule off. */
export function tripOnConnectionFailures (breaker: CircuitBreaker, limit: () => number): void {
  let inRow = 0
  // opossum's own timeout also has the code ETIMEDOUT, and emits 'timeout' just before its
  // 'failure': a call that hung found an instance, so it ends the run like any other outcome.
  let timedOut = false
  breaker.on('timeout', () => { timedOut = true })
  // 'success' includes the target's 4xx answers (errorFilter): any answer ends the run.
  breaker.on('success', () => { inRow = 0 })
  breaker.on('failure', (error: Error) => {
    if (timedOut || !isConnectionFailure(error as { code?: string })) {
      timedOut = false
      inRow = 0
      return
    }
    inRow++
    const n = limit()
    if (n > 0 && inRow >= n && !breaker.opened) breaker.open()
  })
}
