import { createError } from '../primitives/coded-errors.js'

export const DatabaseUnavailable = createError('CLV_DATABASE_UNAVAILABLE', 'A database this request needs is unavailable; try again shortly', 503)
export const DatabaseBusy = createError('CLV_DATABASE_BUSY', 'The database is busy with other writes; try again shortly', 503)

/** Could not reach PostgreSQL before DATABASE_CONNECT_TIMEOUT_MS: start-up gives up. */
export class DatabaseConnectError extends Error {
  constructor (module: string, location: string, waitedMs: number, reason: string) {
    super(`${module}: could not connect to PostgreSQL at ${location} within ${waitedMs} ms: ${reason}`)
    this.name = 'DatabaseConnectError'
  }
}

type Cause = { code?: unknown, message?: unknown, constraint?: unknown, cause?: unknown } | undefined

function * causes (error: unknown): Generator<NonNullable<Cause>> {
  // Drizzle wraps a driver's error as the cause of its own; a cycle is not followed.
  const seen = new Set<unknown>()
  for (let cause = error as Cause; cause && typeof cause === 'object' && !seen.has(cause); cause = cause.cause as Cause) {
    seen.add(cause)
    yield cause
  }
}

/** A unique constraint refused the write; with `index`, that one (PostgreSQL names it, SQLite's message does). */
export function isUniqueViolation (error: unknown, index?: string): boolean {
  for (const { code, message, constraint } of causes(error)) {
    if (code === '23505') return index === undefined || constraint === index
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return index === undefined || String(message).includes(`'${index}'`)
  }
  return false
}

// PostgreSQL's connection-exception class (08), shutdowns and "too many connections" (57P01-3,
// 53300), the socket's own errors, and node-postgres's words for a connection it lost or could
// not get from the pool in time ("Connection terminated" begins its "… unexpectedly" and "… due to
// connection timeout" too).
const unavailableCodes = new Set(['57P01', '57P02', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH'])
const unavailableMessages = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/

/** The database could not be reached or dropped the connection: the request may succeed later. */
export function isDatabaseUnavailable (error: unknown): boolean {
  for (const { code, message } of causes(error)) {
    if (typeof code === 'string' && (unavailableCodes.has(code) || code.startsWith('08'))) return true
    if (typeof message === 'string' && unavailableMessages.test(message)) return true
  }
  return false
}

// SQLite's lock held past busy_timeout (another process writing the same file); PostgreSQL's
// lock_not_available, serialization_failure and deadlock_detected: the same write may pass a
// moment later.
const busyCodes = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_TIMEOUT', 'SQLITE_LOCKED', '55P03', '40001', '40P01'])

/** Another writer holds what this write needs: temporary, unlike a fault. */
export function isDatabaseBusy (error: unknown): boolean {
  for (const { code } of causes(error)) {
    if (typeof code === 'string' && busyCodes.has(code)) return true
  }
  return false
}
