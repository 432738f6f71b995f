// Signed tokens that let one Cleave process prove to another that a call comes from inside the
// deployment: HMAC-SHA256 over what the call is, with a short expiry. No state is kept on either side.
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto'

export const serviceTokenHeader = 'x-cleave-service-token'

/** A token is good for this long after it is signed. */
export const tokenLifetimeMs = 30_000
/**
 * Clocks of two hosts may disagree by this much either way. Constant, not a setting: hosts that
 * keep time with NTP agree to within milliseconds, and a clock further out needs fixing, not a knob.
 */
export const clockSkewMs = 30_000

const version = 'v1'

export type TokenFailure = 'malformed' | 'invalid' | 'expired' | 'future'

export type Verification = { ok: true, issuer: string } | { ok: false, reason: TokenFailure }

export interface ServiceTokens {
  /** A token for one request: `method` and `target` (path and query, as sent) are bound into it. */
  sign (method: string, target: string, now?: number): string
  verify (token: string, method: string, target: string, now?: number): Verification
}

/** The secrets as configured: a comma list, the first signs, any verifies (for rotation). */
export function parseSecrets (setting: string): string[] {
  return setting.split(',')
}

// Servers see the request target the way a WHATWG URL writes it (undici and reply-from send it so);
// signing the same form keeps `/a b` and `/a%20b` from disagreeing.
function canonicalTarget (target: string): string {
  const { pathname, search } = new URL(target, 'http://service.invalid')
  return pathname + search
}

function mac (key: KeyObject, issuer: string, method: string, target: string, expiresAt: number): Buffer {
  return createHmac('sha256', key).update(`${version}\n${issuer}\n${method}\n${target}\n${expiresAt}`).digest()
}

// Token: v1.<expiry, unix ms>.<issuer, base64url>.<HMAC, base64url>
export function createServiceTokens (secrets: string[], issuer: string): ServiceTokens {
  const keys = secrets.map((secret) => createSecretKey(Buffer.from(secret, 'utf8')))
  const issuerField = Buffer.from(issuer, 'utf8').toString('base64url')

  return {
    sign (method, target, now = Date.now()) {
      const expiresAt = now + tokenLifetimeMs
      return `${version}.${expiresAt}.${issuerField}.${mac(keys[0], issuer, method, canonicalTarget(target), expiresAt).toString('base64url')}`
    },

    verify (token, method, target, now = Date.now()) {
      const parts = token.split('.')
      if (parts.length !== 4 || parts[0] !== version || !/^\d{1,15}$/.test(parts[1])) return { ok: false, reason: 'malformed' }
      const expiresAt = Number(parts[1])
      const claimedIssuer = Buffer.from(parts[2], 'base64url').toString('utf8')
      const given = Buffer.from(parts[3], 'base64url')
      // The signature is checked before the times, so only a genuine token is ever called expired.
      const genuine = keys.some((key) => {
        const expected = mac(key, claimedIssuer, method, target, expiresAt)
        return expected.length === given.length && timingSafeEqual(expected, given)
      })
      if (!genuine) return { ok: false, reason: 'invalid' }
      if (expiresAt < now - clockSkewMs) return { ok: false, reason: 'expired' }
      if (expiresAt > now + tokenLifetimeMs + clockSkewMs) return { ok: false, reason: 'future' }
      return { ok: true, issuer: claimedIssuer }
    }
  }
}
