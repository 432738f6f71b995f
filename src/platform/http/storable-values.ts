// Values a JSON schema lets through that no database of ours stores as sent. Ajv's coercion
// turns the text `Infinity` into a number that passes `integer` and skips `maximum`, and
// JSON.parse reads `1e999` as Infinity; PostgreSQL refuses a NUL in text, SQLite stores a lone
// surrogate as bytes that are not UTF-8. One rule for every input, checked after the schema:
// numbers finite, strings without NUL and well-formed. Both dialects then store exactly what was
// sent. (Integers have their range from their contract: test/contract-bounds.test.ts.)
import type { ErrorObject, ValidateFunction } from 'ajv'

/** Levels of objects and arrays a value may nest; past it a value is refused rather than walked. */
export const maxDepth = 100

function pointer (path: string, key: string | number): string {
  return `${path}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`
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

/** The first value in data that cannot be stored as sent, as an Ajv error; undefined when none. */
export function firstUnstorable (data: unknown): ErrorObject | undefined {
  // A stack, not recursion: a hostile document nested thousands deep must not overflow ours.
  const pending: Array<[value: unknown, path: string, depth: number]> = [[data, '', 0]]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, path, depth] = next
    const problem = problemOf(value)
    if (problem !== undefined) return issue(path, problem)
    if (typeof value !== 'object' || value === null) continue
    if (depth >= maxDepth) return issue(path, `must not nest deeper than ${maxDepth} levels`)
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) pending.push([value[i], pointer(path, i), depth + 1])
      continue
    }
    const members = Object.entries(value)
    for (let i = members.length - 1; i >= 0; i--) {
      const [key, member] = members[i]
      const keyProblem = problemOf(key)
      if (keyProblem !== undefined) return issue(pointer(path, key), `name ${keyProblem}`)
      pending.push([member, pointer(path, key), depth + 1])
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
