// Compiling every route's input checks and answer serializers, and every client's and event's
// checks, at start-up was about a quarter of the server's start-up CPU (Ajv and fast-json-stringify,
// measured with --cpu-prof); most are never used by a process that serves a few routes. Each is compiled
// on its first call instead. test/contracts.test.ts compiles every contract's schemas, so one Ajv
// or fast-json-stringify refuses still fails CI rather than a first request; the platform's own
// routes (health, metrics, admin) are requested by their tests.
import type { ValidateFunction } from 'ajv'

/** A validator compiled on its first call; `errors` is the compiled one's, after each call. */
export function validatorOnFirstUse (compile: () => ValidateFunction): ValidateFunction {
  let compiled: ValidateFunction | undefined
  const validate = function (this: unknown, data: unknown) {
    compiled ??= compile()
    const valid = compiled.call(this, data)
    validate.errors = compiled.errors
    return valid
  } as ValidateFunction
  validate.errors = null
  return validate
}

/** A serializer compiled on its first call. */
export function serializerOnFirstUse (compile: () => (data: unknown) => string): (data: unknown) => string {
  let compiled: ((data: unknown) => string) | undefined
  return (data) => (compiled ??= compile())(data)
}
