import { setTimeout as sleep } from 'node:timers/promises'

const idempotent = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])
const connectionCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED'])
const retriableStatus = new Set([502, 503, 504])

export function isIdempotent (method: string): boolean {
  return idempotent.has(method)
}

/** Failures where the request surely did not take effect, or the target said to try elsewhere. */
export function isRetriable (failure: { code?: string, status?: number }): boolean {
  return (failure.code !== undefined && connectionCodes.has(failure.code)) ||
    (failure.status !== undefined && retriableStatus.has(failure.status))
}

// Full jitter (AWS architecture blog): callers retrying together spread out instead of colliding.
export function backoff (attempt: number, signal: AbortSignal, baseMs = 20, capMs = 200): Promise<void> {
  return sleep(Math.random() * Math.min(capMs, baseMs * 2 ** attempt), undefined, { signal })
}
