// Coded errors (@fastify/error: a CLV_* code and an HTTP status on the class). An error whose
// problem+json says more than its detail - RFC 9457 extension members, field errors - is made by
// createProblemError and carries them; toProblem finds them by class, never by a property's shape.
import createError from '@fastify/error'
import type { ProblemBody } from './problem.js'

export { createError }

export type FieldError = NonNullable<ProblemBody['errors']>[number]

export interface ProblemMembers {
  /** RFC 9457 extension members, e.g. the limit a 429 hit; they never replace a standard member. */
  extensions?: Record<string, unknown>
  /** The problem's `errors[]`: each bad field, where it was and what is wrong with it. */
  errors?: FieldError[]
}

/** Every error made by createProblemError is one of these; toProblem adds its members to the problem. */
export abstract class ProblemError extends Error {
  declare readonly code: string
  declare readonly statusCode: number
  declare readonly members: ProblemMembers
}

/**
 * A coded error class whose instances carry problem members: `new RateLimited({ extensions }, detail)`.
 * Built on createError, so code, status and `instanceof` behave like every other coded error; a
 * remote caller rebuilding it from a problem (`new Known()`) gets one without members.
 */
export function createProblemError (code: string, message: string, statusCode: number) {
  const Coded = createError(code, message, statusCode, ProblemError as unknown as ErrorConstructor)
  return class extends Coded {
    readonly members: ProblemMembers
    constructor (members?: ProblemMembers, ...args: unknown[]) {
      super(...args)
      this.members = members ?? {}
    }
  }
}
