import { createError, createProblemError } from '../primitives/coded-errors.js'
import type { InvalidField } from './schema.js'

/** Lists every bad field of the overrides document (JSON pointers) in its problem's errors[]. */
export const RuntimeConfigInvalid = createProblemError('CLV_RUNTIME_CONFIG_INVALID', 'Runtime config change refused, nothing was changed: %s', 400)
export const RuntimeConfigUnavailable = createError('CLV_RUNTIME_CONFIG_UNAVAILABLE', 'Runtime config could not be changed: %s', 503)

/** A refusal that names every bad field; the document is the body of PATCH /admin/config, merged. */
export function refusal (fields: InvalidField[]) {
  const errors = fields.map((field) => ({ in: 'body', ...field }))
  return new RuntimeConfigInvalid({ errors }, fields.map(({ field, message }) => `${field} ${message}`).join('; '))
}
