// Outside the breaker: whatever kept the target from answering (a timeout, no connection, a 5xx,
// an open breaker) becomes DependencyUnavailable, logged once here; the target's answers pass.
import { DependencyUnavailable, isAnswer } from '../call-errors.js'
import type { Settings, Stage } from './pipeline.js'

export function unavailableStage (target: string, settings: Settings): Stage {
  return (next) => async (call) => {
    try {
      return await next(call)
    } catch (error) {
      if (isAnswer(error) || error instanceof DependencyUnavailable) throw error
      const { code, message } = error as { code?: string, message: string }
      const { name } = call.operation
      const reason = code === 'EOPENBREAKER'
        ? 'its circuit breaker is open'
        : code === 'ETIMEDOUT' ? `no answer within ${settings().timeoutMs} ms` : (code ?? message)
      // An open breaker is the expected, cheap path during an outage: the state change was logged once.
      if (code === 'EOPENBREAKER') call.context.log.debug({ target, operation: name, reason }, `call to ${target}.${name} refused`)
      else call.context.log.warn({ target, operation: name, reason }, `call to ${target}.${name} failed`)
      throw new DependencyUnavailable(target, reason)
    }
  }
}
