// Attempts over the target's instances, round-robin, as the retry policy allows: within the one
// breaker call and its one timeout, at most CALL_RETRIES more attempts, each on the next instance,
// passing over those that already refused this call. The last answer goes on as it is.
import type { Dispatcher } from 'undici'
import { backoff, neverConnected, nextAttempt } from '../../http/retry-policy.js'
import type { Settings, Stage } from './pipeline.js'

export function retryStage (settings: Settings): Stage {
  let turn = 0

  function nextInstance (instances: string[], refused: Set<string> | undefined): string {
    for (let i = 0; i < instances.length; i++) {
      const base = instances[turn++ % instances.length]
      if (!refused?.has(base)) return base
    }
    // Only when the list names one URL twice: refused counts it once.
    return instances[turn++ % instances.length]
  }

  return (next) => async (call) => {
    const { method } = call.operation.route
    const signal = call.signal as AbortSignal
    const { retries, backoffMs } = settings()
    // Made only when an instance refuses: most calls never need it.
    let refused: Set<string> | undefined
    for (let attempt = 0; ; attempt++) {
      call.instance = nextInstance(call.instances, refused)
      let response: Dispatcher.ResponseData
      try {
        response = await next(call) as Dispatcher.ResponseData
      } catch (error) {
        const failure = error as { code?: string }
        if (neverConnected(failure)) (refused ??= new Set()).add(call.instance)
        // When every instance has refused, there is nothing left to try.
        if (attempt < retries && nextAttempt(method, failure) === 'at-once' && !signal.aborted && (refused?.size ?? 0) < call.instances.length) continue
        throw error
      }
      if (attempt < retries && nextAttempt(method, response.statusCode) === 'after-backoff') {
        await response.body.dump()
        await backoff(attempt, signal, backoffMs)
        continue
      }
      return response
    }
  }
}
