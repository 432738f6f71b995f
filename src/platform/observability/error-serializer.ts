// pino's error serializer, less the values a failed query carries: drizzle's DrizzleQueryError
// writes its parameters (names, emails) into its message, its stack and a field, and PostgreSQL's
// own error repeats a row's values in `detail` ("Key (lower(email))=(…) already exists"). A log
// names the statement and the database's reason, never what was being written.
import { stdSerializers } from 'pino'

type Serialized = ReturnType<typeof stdSerializers.err> & Record<string, unknown>

/** Fields of an error (or its causes) that hold a row's values. */
const valueFields = ['params', 'detail']

function paramTexts (error: unknown): string[] {
  const texts: string[] = []
  const seen = new Set<unknown>()
  for (let cause = error; cause instanceof Error && !seen.has(cause); cause = cause.cause) {
    seen.add(cause)
    const { params } = cause as { params?: unknown }
    if (params !== undefined) texts.push(`\nparams: ${String(params)}`)
  }
  return texts
}

function withoutValues (text: unknown, paramsTexts: string[]): unknown {
  return typeof text === 'string' ? paramsTexts.reduce((kept, params) => kept.split(params).join(''), text) : text
}

/**
 * The error's message and its causes' (`a: b`, as pino writes them), without the values a failed
 * query wrote into it: for log fields and stored reasons that are text.
 */
export function messageWithoutValues (error: unknown): string {
  const messages: string[] = []
  const seen = new Set<unknown>()
  for (let cause = error; cause instanceof Error && !seen.has(cause); cause = cause.cause) {
    seen.add(cause)
    messages.push(cause.message)
  }
  return withoutValues(messages.length === 0 ? String(error) : messages.join(': '), paramTexts(error)) as string
}

export function serializeError (error: Error): Serialized {
  const serialized = stdSerializers.err(error) as Serialized
  const params = paramTexts(error)
  if (params.length === 0 && !valueFields.some((field) => field in serialized)) return serialized
  serialized.message = withoutValues(serialized.message, params) as string
  serialized.stack = withoutValues(serialized.stack, params) as string
  for (const field of valueFields) delete serialized[field]
  return serialized
}
