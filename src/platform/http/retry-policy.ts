// The one retry policy of a request sent to an instance, shared by the clients and the gateway:
// which failures are about the connection, and whether a failed attempt may go to the next instance.

// RFC 9110 §9.2.2: an idempotent request may be sent again.
const idempotent = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])
// No connection was made, so nothing was sent: the address is closed, unreachable or unknown.
// undici gives these codes only from its connect step (DNS lookup, TCP connect, its connect
// timeout), and then only to requests still queued for that connection: a request already
// written to a socket fails with the socket's error instead (client.js onError, kRunning === 0).
const neverConnectedCodes = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT'])
// A connection broke: a kept-alive socket the instance closed, the instance died under it, or
// the socket was gone before the answer came. The request may have reached the instance.
const connectionCodes = new Set([...neverConnectedCodes, 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED'])
// Answers saying to try elsewhere: the instance is alive but cannot serve this now.
const retriableStatus = new Set([502, 503, 504])

/** The request could not be carried: no connection, or the connection broke. Not a busy instance. */
export function isConnectionFailure (failure: { code?: string }): boolean {
  return failure.code !== undefined && connectionCodes.has(failure.code)
}

/** The instance accepted no connection, so nothing of the request reached it. */
export function neverConnected (failure: { code?: string }): boolean {
  return failure.code !== undefined && neverConnectedCodes.has(failure.code)
}

export type NextAttempt = 'at-once' | 'after-backoff' | 'no'

/**
 * Whether an attempt that failed may go to the next instance. Any request, POST included, when
 * no connection was made: nothing was sent, so nothing can happen twice. Otherwise only
 * idempotent methods move on, since the request may have reached the instance: after a broken
 * connection at once (a new connection replaces it), after a 502/503/504 answer following a
 * backoff (the instance is alive and busy). Anything else is the outcome.
 */
export function nextAttempt (method: string, failure: { code?: string } | number): NextAttempt {
  if (typeof failure === 'number') return idempotent.has(method) && retriableStatus.has(failure) ? 'after-backoff' : 'no'
  if (neverConnected(failure)) return 'at-once'
  return idempotent.has(method) && isConnectionFailure(failure) ? 'at-once' : 'no'
}
