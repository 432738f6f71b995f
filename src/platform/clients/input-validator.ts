import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import type { TSchema } from '@sinclair/typebox'
import type { RouteDefinition } from '../contracts/define-contract.js'
import { ajvOptions } from '../http/validation.js'
import { InvalidCallInput } from './call-errors.js'

// The same rules as the routes (validation.ts): text parts coerced, bodies exact.
const coercing = addFormats.default(new Ajv({ ...ajvOptions, coerceTypes: 'array' }))
const exact = addFormats.default(new Ajv({ ...ajvOptions, coerceTypes: false }))

export interface CallInput { params?: Record<string, unknown>, query?: Record<string, unknown>, body?: unknown }

type Check = (input: CallInput) => CallInput

function part (ajv: Ajv, schema: TSchema | undefined): ValidateFunction | undefined {
  return schema === undefined ? undefined : ajv.compile(schema)
}

function describe (where: string, validate: ValidateFunction): string {
  return (validate.errors ?? []).map((error) => `${where}${error.instancePath} ${error.message}`).join('; ')
}

// Validation fills defaults, so it works on copies: a caller's object is never changed.
export function compileInputCheck (name: string, route: RouteDefinition): Check {
  const params = part(coercing, route.schema.params)
  const query = part(coercing, route.schema.querystring)
  const body = part(exact, route.schema.body)
  return (input) => {
    const checked: CallInput = {}
    if (params) {
      checked.params = { ...input.params }
      if (!params(checked.params)) throw new InvalidCallInput(name, describe('params', params))
    }
    if (query) {
      checked.query = { ...input.query }
      if (!query(checked.query)) throw new InvalidCallInput(name, describe('query', query))
    }
    if (body) {
      checked.body = structuredClone(input.body)
      if (!body(checked.body)) throw new InvalidCallInput(name, describe('body', body))
    }
    return checked
  }
}

export function compileResponseCheck (schema: TSchema): ValidateFunction {
  return exact.compile(schema)
}
