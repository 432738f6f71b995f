// The instance's final answer becomes the call's outcome: the success body, checked against the
// contract, or the very error the target threw (matched by code among its contract's errors),
// so callers handle one error whichever the transport.
import type { Dispatcher } from 'undici'
import type { Contract, ErrorConstructor } from '../../contracts/define-contract.js'
import { validationDetail } from '../../primitives/validation-issues.js'
import { InvalidCallResponse, RemoteProblem } from '../call-errors.js'
import type { Stage } from './pipeline.js'

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

export function readAnswerStage (contract: Contract): Stage {
  const target = contract.module
  const known = errorsByCode(contract)
  return (next) => async (call) => {
    const response = await next(call) as Dispatcher.ResponseData
    const { statusCode } = response
    const { name, success, check } = call.operation
    if (statusCode !== success.status) throw problemToError(known, statusCode, await response.body.json().catch(() => undefined))
    if (statusCode === 204) return response.body.dump().then(() => undefined)
    if (!success.mediaType.includes('json')) return response.body.text()
    const body = await response.body.json()
    if (check && !check(body)) throw new InvalidCallResponse(target, name, validationDetail(check.errors))
    return body
  }
}
