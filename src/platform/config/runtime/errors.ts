import { createError } from '../../http/errors.js'
import type { InvalidField } from './schema.js'

export const RuntimeConfigInvalid = createError('CLV_RUNTIME_CONFIG_INVALID', 'Runtime config change refused, nothing was changed: %s', 400)
export const RuntimeConfigUnavailable = createError('CLV_RUNTIME_CONFIG_UNAVAILABLE', 'Runtime config could not be changed: %s', 503)

/** A refusal that names every bad field (JSON pointers into the overrides document). */
export function refusal (fields: InvalidField[]) {
  const error = new RuntimeConfigInvalid(fields.map(({ field, message }) => `${field} ${message}`).join('; '))
  return Object.assign(error, { fields })
}
