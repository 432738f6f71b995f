// pino's error serializer, less the values a failed query carries: drizzle's DrizzleQueryError
// writes its parameters (names, emails) into its message, its stack and a field, and PostgreSQL's
// own error repeats a row's values in `detail` ("Key (lower(email))=(…) already exists"). A log
// names the statement and the database's reason, never what was being written.
import { stdSerializers } from 'pino'

type Serialized = ReturnType<typeof stdSerializers.err> & Record<string, unknown>

/** Fields of an error (or its causes) that hold a row's values. */
const valueFields = ['params', 'detail']

/** The error and its causes, outermost first; a cycle is not followed. */
function chain (error: unknown): Error[] {
  const errors: Error[] = []
  for (let cause = error; cause instanceof Error && !errors.includes(cause); cause = cause.cause) errors.push(cause)
  return errors
}

function paramTexts (errors: Error[]): string[] {
  return errors.flatMap((error) => {
    const { params } = error as { params?: unknown }
    return params === undefined ? [] : [`\nparams: ${String(params)}`]
  })
}

function withoutValues (text: unknown, paramsTexts: string[]): unknown {
  return typeof text === 'string' ? paramsTexts.reduce((kept, params) => kept.split(params).join(''), text) : text
}

/**
 * The error's message and its causes' (`a: b`, as pino writes them), without the values a failed
 * query wrote into it: for log fields and stored reasons that are text.
 */
export function messageWithoutValues (error: unknown): string {
  const errors = chain(error)
  return withoutValues(errors.length === 0 ? String(error) : errors.map(({ message }) => message).join(': '), paramTexts(errors)) as string
}

export function serializeError (error: Error): Serialized {
  const serialized = stdSerializers.err(error) as Serialized
  const params = paramTexts(chain(error))
  if (params.length === 0 && !valueFields.some((field) => field in serialized)) return serialized
  serialized.message = withoutValues(serialized.message, params) as string
  serialized.stack = withoutValues(serialized.stack, params) as string
  for (const field of valueFields) delete serialized[field]
  return serialized
}
