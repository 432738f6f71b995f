import type { TSchema } from '@sinclair/typebox'
import type { ValidateFunction } from 'ajv'
import type { RouteDefinition } from '../contracts/define-contract.js'
import { compileCoercing, compileExact } from '../http/validation.js'
import { validationDetail } from '../primitives/validation-issues.js'
import { InvalidCallInput } from './call-errors.js'

export interface CallInput { params?: Record<string, unknown>, query?: Record<string, unknown>, body?: unknown }

type Check = (input: CallInput) => CallInput

// The same rules as the routes: text parts coerced, bodies exact.
function part (compile: (schema: TSchema) => ValidateFunction, schema: TSchema | undefined): ValidateFunction | undefined {
  return schema === undefined ? undefined : compile(schema)
}

// Validation fills defaults, so it works on copies: a caller's object is never changed.
export function compileInputCheck (name: string, route: RouteDefinition): Check {
  const params = part(compileCoercing, route.schema.params)
  const query = part(compileCoercing, route.schema.querystring)
  const body = part(compileExact, route.schema.body)
  return (input) => {
    const checked: CallInput = {}
    if (params) {
      checked.params = { ...input.params }
      if (!params(checked.params)) throw new InvalidCallInput(name, validationDetail(params.errors, 'params'))
    }
    if (query) {
      checked.query = { ...input.query }
      if (!query(checked.query)) throw new InvalidCallInput(name, validationDetail(query.errors, 'query'))
    }
    if (body) {
      checked.body = structuredClone(input.body)
      if (!body(checked.body)) throw new InvalidCallInput(name, validationDetail(body.errors, 'body'))
    }
    return checked
  }
}
