import { createError } from '../primitives/coded-errors.js'

// No stack: it says everything in its message, and during an outage it is made on every call.
export const DependencyUnavailable = createError('CLV_DEPENDENCY_UNAVAILABLE', '%s is unavailable: %s', 503, Error, false)
export const InvalidCallInput = createError('CLV_CLIENT_INVALID_INPUT', 'Call to %s with invalid input: %s', 500)
export const InvalidCallResponse = createError('CLV_CLIENT_INVALID_RESPONSE', '%s answered %s outside its contract: %s', 502)

/** An answer from another service whose code its contract does not declare. */
export class RemoteProblem extends Error {
  constructor (readonly statusCode: number, readonly code: string, message: string) {
    super(message)
    this.name = 'RemoteProblem'
  }
}

/** A definite answer (4xx) means the target works; anything else means it may not. */
export function isAnswer (error: unknown): boolean {
  const status = (error as { statusCode?: unknown }).statusCode
  return typeof status === 'number' && status < 500
}
