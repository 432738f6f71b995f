// Values a JSON schema lets through that no database of ours stores as sent. Ajv's coercion
// turns the text `Infinity` into a number that passes `integer` and skips `maximum`, and
// JSON.parse reads `1e999` as Infinity; PostgreSQL refuses a NUL in text, SQLite stores a lone
// surrogate as bytes that are not UTF-8. One rule for every input, checked after the schema:
// numbers finite, strings without NUL and well-formed. Both dialects then store exactly what was
// sent. (Integers have their range from their contract: test/contract-bounds.test.ts.)
import type { ErrorObject, ValidateFunction } from 'ajv'

/** Levels of objects and arrays a value may nest; past it a value is refused rather than walked. */
export const maxDepth = 100

interface Visit {
  value: unknown
  depth: number
  parent: Visit | undefined
  key: string | number
}

// Built only for the value refused: a valid body costs no strings.
function pointer (visit: Visit): string {
  let path = ''
  for (let at: Visit | undefined = visit; at?.parent !== undefined; at = at.parent) {
    path = `/${String(at.key).replaceAll('~', '~0').replaceAll('/', '~1')}${path}`
  }
  return path
}

function problemOf (value: unknown): string | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'must be a finite number'
  } else if (typeof value === 'string') {
    if (value.includes('\u0000')) return 'must not contain the NUL character (\\u0000)'
    if (!value.isWellFormed()) return 'must be well-formed Unicode (no lone surrogate)'
  }
  return undefined
}

function issue (instancePath: string, message: string): ErrorObject {
  return { instancePath, schemaPath: '#', keyword: 'storable', params: {}, message }
}

/** A value in data that cannot be stored as sent, as an Ajv error; undefined when none. */
export function firstUnstorable (data: unknown): ErrorObject | undefined {
  // A stack, not recursion: a hostile document nested thousands deep must not overflow ours.
  const pending: Visit[] = [{ value: data, depth: 0, parent: undefined, key: '' }]
  for (let visit = pending.pop(); visit !== undefined; visit = pending.pop()) {
    const { value, depth } = visit
    const problem = problemOf(value)
    if (problem !== undefined) return issue(pointer(visit), problem)
    if (typeof value !== 'object' || value === null) continue
    if (depth >= maxDepth) return issue(pointer(visit), `must not nest deeper than ${maxDepth} levels`)
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) pending.push({ value: value[i], depth: depth + 1, parent: visit, key: i })
      continue
    }
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue
      const member: Visit = { value: (value as Record<string, unknown>)[key], depth: depth + 1, parent: visit, key }
      const keyProblem = problemOf(key)
      if (keyProblem !== undefined) return issue(pointer(member), `name ${keyProblem}`)
      pending.push(member)
    }
  }
  return undefined
}

/** The schema's check, then this one's: `errors` says which failed. */
export function refusingUnstorable (validate: ValidateFunction): ValidateFunction {
  const checked = function (this: unknown, data: unknown) {
    if (!validate.call(this, data)) {
      checked.errors = validate.errors
      return false
    }
    const unstorable = firstUnstorable(data)
    checked.errors = unstorable === undefined ? null : [unstorable]
    return unstorable === undefined
  } as ValidateFunction
  checked.errors = null
  return checked
}
