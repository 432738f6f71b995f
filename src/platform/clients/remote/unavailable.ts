// Outside the breaker: whatever kept the target from answering (a timeout, no connection, a 5xx,
// an open breaker, a full bulkhead) becomes DependencyUnavailable, logged once here; the target's
// answers pass.
import { DependencyUnavailable, isAnswer } from '../call-errors.js'
import { bulkheadCode } from './bulkhead.js'
import type { Settings, Stage } from './pipeline.js'

// Refused before any request was made: the expected, cheap path under an outage or overload
// (the breaker's state change was logged once; the bulkhead's refusals are counted in metrics).
const refusals = new Set(['EOPENBREAKER', bulkheadCode])

function reasonOf (code: string | undefined, message: string, timeoutMs: number): string {
  if (code === 'EOPENBREAKER') return 'its circuit breaker is open'
  if (code === 'ETIMEDOUT') return `no answer within ${timeoutMs} ms`
  if (code === bulkheadCode) return message
  return code ?? message
}

export function unavailableStage (target: string, settings: Settings): Stage {
  return (next) => async (call) => {
    try {
      return await next(call)
    } catch (error) {
      if (isAnswer(error) || error instanceof DependencyUnavailable) throw error
      const { code, message } = error as { code?: string, message: string }
      const { name } = call.operation
      const reason = reasonOf(code, message, settings().timeoutMs)
      if (code !== undefined && refusals.has(code)) call.context.log.debug({ target, operation: name, reason }, `call to ${target}.${name} refused`)
      else call.context.log.warn({ target, operation: name, reason }, `call to ${target}.${name} failed`)
      throw new DependencyUnavailable(target, reason)
    }
  }
}
