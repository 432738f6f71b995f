import { setTimeout as sleep } from 'node:timers/promises'

const idempotent = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])
// No connection was made, so nothing was sent.
const refusalCodes = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])
// A connection broke: a kept-alive socket the instance closed, or the instance died under it.
const connectionCodes = new Set([...refusalCodes, 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'])
const retriableStatus = new Set([502, 503, 504])

export function isIdempotent (method: string): boolean {
  return idempotent.has(method)
}

/** The request could not be carried: no connection, or the connection broke. Not a busy instance. */
export function isConnectionFailure (failure: { code?: string }): boolean {
  return failure.code !== undefined && connectionCodes.has(failure.code)
}

/** The instance accepted no connection: asking it again at once is pointless. */
export function isRefusal (failure: { code?: string }): boolean {
  return failure.code !== undefined && refusalCodes.has(failure.code)
}

/** An answer saying to try elsewhere: the instance is alive but cannot serve this now. */
export function isRetriableStatus (status: number): boolean {
  return retriableStatus.has(status)
}

// Full jitter (AWS architecture blog): callers retrying together spread out instead of colliding.
// Only for answers such as 503: waiting never helps a connection that was refused.
export function backoff (attempt: number, signal: AbortSignal, baseMs: number): Promise<void> {
  return sleep(Math.random() * Math.min(baseMs * 10, baseMs * 2 ** attempt), undefined, { signal })
}
