// Attempts over the target's instances, round-robin, as the retry policy allows, within the one
// breaker call and its one timeout. An instance that accepts no connection was sent nothing, so
// any call, POST included, goes on to the next one that has not refused it; that costs no
// attempt, and each instance refuses a call at most once. Otherwise at most CALL_RETRIES more
// attempts, each on the next instance. Instances that passive health has ejected are passed
// over while another is admitted. The last answer goes on as it is.
import type { InstanceHealth } from '../../discovery/instance-health.js'
import { neverConnected, nextAttempt } from '../../http/retry-policy.js'
import { backoffDelay } from '../../primitives/backoff.js'
import type { RemoteAnswer, Settings, Stage } from './pipeline.js'

export function retryStage (target: string, settings: Settings, health: InstanceHealth): Stage {
  let turn = 0

  // The next instance in turn that has not refused this call and is not ejected; when every one
  // left is ejected, the first of them anyway: trying costs one connection attempt, while failing
  // without trying would turn an instance that is back into an outage.
  function nextInstance (instances: string[], refused: Set<string> | undefined): string {
    let ejected: string | undefined
    for (let i = 0; i < instances.length; i++) {
      const instance = instances[turn++ % instances.length]
      if (refused?.has(instance)) continue
      if (!health.ejected(instance)) return instance
      ejected ??= instance
    }
    // Only when the list names one URL twice: refused counts it once.
    return ejected ?? instances[turn++ % instances.length]
  }

  return (next) => async (call) => {
    const { method } = call.operation.route
    const deadline = call.deadline!
    const { retries, backoffMs } = settings()
    // Made only when an instance refuses: most calls never need it.
    let refused: Set<string> | undefined
    for (let attempt = 0; ;) {
      call.instance = nextInstance(call.instances, refused)
      let response: RemoteAnswer
      try {
        response = await next(call) as RemoteAnswer
      } catch (error) {
        const failure = error as { code?: string }
        const nothingSent = neverConnected(failure)
        if (nothingSent) {
          health.refused(target, call.instance)
          refused ??= new Set()
          refused.add(call.instance)
        }
        // When every instance has refused, there is nothing left to try.
        const moveOn = nextAttempt(method, failure) === 'at-once' && deadline.passed === undefined && (refused?.size ?? 0) < call.instances.length
        if (moveOn && nothingSent) continue
        if (moveOn && attempt < retries) {
          attempt++
          continue
        }
        throw error
      }
      health.answered(call.instance)
      if (attempt < retries && nextAttempt(method, response.statusCode) === 'after-backoff') {
        // Jittered, at most ten first waits long; cut by the deadline.
        await deadline.sleep(backoffDelay(attempt++, { baseMs: backoffMs, maxMs: backoffMs * 10, jitter: true }))
        continue
      }
      return response
    }
  }
}
