// The instance's final answer becomes the call's outcome: the success body, checked against the
// contract, or the very error the target threw (matched by code among its contract's errors),
// so callers handle one error whichever the transport.
import type { Contract, ErrorConstructor } from '../../contracts/define-contract.js'
import { validationDetail } from '../../primitives/validation-issues.js'
import { InvalidCallResponse, RemoteProblem } from '../call-errors.js'
import type { RemoteAnswer, Stage } from './pipeline.js'

function errorsByCode (contract: Contract): Map<string, ErrorConstructor> {
  return new Map(Object.values(contract.errors).map((Ctor) => [new Ctor().code, Ctor]))
}

function problemToError (known: Map<string, ErrorConstructor>, status: number, body: unknown): Error {
  const problem = (typeof body === 'object' && body !== null ? body : {}) as { code?: string, detail?: string }
  const Known = problem.code === undefined ? undefined : known.get(problem.code)
  if (Known) {
    const error = new Known()
    error.message = problem.detail ?? error.message
    return error
  }
  return new RemoteProblem(status, problem.code ?? `CLV_HTTP_${status}`, problem.detail ?? `HTTP ${status}`)
}

function parsedOrUndefined (raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString())
  } catch {
    return undefined
  }
}

export function readAnswerStage (contract: Contract): Stage {
  const target = contract.module
  const known = errorsByCode(contract)
  return (next) => async (call) => {
    const { statusCode, body: raw } = await next(call) as RemoteAnswer
    const { name, success, check } = call.operation
    if (statusCode !== success.status) throw problemToError(known, statusCode, parsedOrUndefined(raw))
    if (statusCode === 204) return undefined
    if (!success.mediaType.includes('json')) return raw.toString()
    const body: unknown = JSON.parse(raw.toString())
    if (check && !check(body)) throw new InvalidCallResponse(target, name, validationDetail(check.errors))
    return body
  }
}
