// Opens a breaker after N failed calls in a row, whatever failed: a timeout, a broken or refused
// connection, a 5xx answer (for the clients; the gateway's relay fails only when unanswered).
// The percentage rule alone needs BREAKER_VOLUME_THRESHOLD calls inside one window, which a hung
// target answering one call at a time in CALL_TIMEOUT_MS never gives; under load it would wait
// for the failures to outnumber the successes still in the window. opossum 9 has no such rule
// (maxFailures was removed).
import type CircuitBreaker from 'opossum'

/** limit() is read on each failure, so a runtime change applies at once; 0 turns the rule off. */
export function tripOnConsecutiveFailures (breaker: CircuitBreaker, limit: () => number): void {
  let inRow = 0
  /** When the last counted failure ended. */
  let lastFailure = -Infinity
  // 'success' includes the target's 4xx answers (errorFilter): any answer ends the run.
  breaker.on('success', () => { inRow = 0 })
  // opossum's timeout emits 'timeout' and then 'failure': counted once, by the failure. Calls in
  // flight together count once: those a dying replica held fail at the same moment, while the
  // other replicas answer the calls after them; a run is of calls made one after another.
  breaker.on('failure', (_error: Error, latencyMs: number) => {
    const now = Date.now()
    if (now - latencyMs < lastFailure) return
    lastFailure = now
    inRow++
    const n = limit()
    if (n > 0 && inRow >= n && !breaker.opened) breaker.open()
  })
  // A trial that closes the breaker starts a new run.
  breaker.on('close', () => { inRow = 0 })
}
