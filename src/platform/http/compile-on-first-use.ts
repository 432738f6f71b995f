// Compiling every check and serializer at start-up costs a large share of start-up CPU, and a
// process that serves a few routes never uses most of them: each is compiled on its first call.
// test/contracts.test.ts compiles every contract's schemas, so one Ajv or fast-json-stringify
// refuses still fails CI rather than a first request.
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
