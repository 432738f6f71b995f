import { Type } from '@sinclair/typebox'
import { maxTimerMs, maxCalls, maxConcurrency } from './limits.js'

/** Calls and the gateway: timeouts, retries, bulkheads and breakers of the calls between modules, and the gateway's relay. */
export const callsSettings = {
  CALL_TIMEOUT_MS: Type.Integer({ minimum: 1, maximum: maxTimerMs, default: 1000, description: 'longest wait for a call to another module\'s service, retries included' }),
  CALL_RETRIES: Type.Integer({ minimum: 0, maximum: 5, default: 2, description: 'extra attempts for idempotent calls (GET, PUT, DELETE), each on the next instance: after a broken connection at once, after a 502/503/504 answer with jittered backoff. An instance that refuses the connection costs no attempt: any call, POST included, goes on to the next at once (nothing was sent); a call stops as soon as every instance has refused it' }),
  CALL_BACKOFF_MS: Type.Integer({ minimum: 1, maximum: maxTimerMs, default: 20, description: 'longest wait before the first retry after a 502/503/504 answer (full jitter); doubles each attempt, up to ten times this' }),
  CALL_CONCURRENCY: Type.Integer({ minimum: 1, maximum: maxConcurrency, default: 100, description: 'calls to one target module a process has in flight at once (a bulkhead); over it, a call fails at once like an open breaker — its fallback answers, or 503 `CLV_DEPENDENCY_UNAVAILABLE` "too many calls in flight (N)" — counted as `cleave_breaker_events_total{event="bulkhead"}` and never against the target\'s breaker; changeable at run time per target (`concurrency`)' }),
  BREAKER_ERROR_THRESHOLD: Type.Integer({ minimum: 1, maximum: 100, default: 50, description: 'percentage of failed calls in the window that opens a target\'s circuit breaker' }),
  BREAKER_VOLUME_THRESHOLD: Type.Integer({ minimum: 1, maximum: maxCalls, default: 5, description: 'calls in the window before the percentage rule may open a breaker' }),
  BREAKER_RESET_MS: Type.Integer({ minimum: 1, maximum: maxTimerMs, default: 5000, description: 'how long an open breaker waits before letting a trial call through' }),
  BREAKER_WINDOW_MS: Type.Integer({ minimum: 100, maximum: maxTimerMs, default: 1000, description: 'length of the rolling window the error percentage and volume are counted over (10 slices); short, so the successes from before an outage stop outvoting its failures within about a second' }),
  BREAKER_CONSECUTIVE_FAILURES: Type.Integer({ minimum: 0, maximum: maxCalls, default: 5, description: 'failed calls in a row of any kind (timeout, reset, refused, any 5xx answer) that open a breaker at once, whatever the window holds, so a hung target opens it even at one call at a time; `0`: off. The gateway\'s breakers count only requests a module never answered (refused, reset, timed out)' }),
  GATEWAY_TIMEOUT_MS: Type.Integer({ minimum: 1, maximum: maxTimerMs, default: 5000, description: 'gateway: longest wait for a module instance\'s response headers (past it, 504 problem+json) and between two chunks of its body (past it, the connection is cut)' })
}
