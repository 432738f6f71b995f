// Signed tokens that let one Cleave process prove to another that a call comes from inside the
// deployment: HMAC-SHA256 over what the call is — method, path and query, the module it is for
// and a digest of its body — with a short expiry. No state is kept on either side, so the
// identical request can be sent again until the token expires (a few seconds): that replay
// needs a copy of traffic inside the deployment, and gives nothing but the same request again.
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto'
import { bodyDigest } from '../http/body-digest.js'

const version = 'v2'

export type TokenFailure = 'malformed' | 'invalid' | 'expired' | 'future'

/** What a token is for: the verifier rebuilds it from the request it receives. */
export interface SignedRequest {
  method: string
  /** Path and query, as sent. */
  target: string
  /** The module the request is for: a token for users is no key to orders. */
  module: string
}

export type Verification = { ok: true, issuer: string, bodyDigest: string } | { ok: false, reason: TokenFailure }

export interface TokenTimes {
  /** A token is good for this long after it is signed. */
  lifetimeMs: number
  /** Clocks of two hosts may disagree by this much either way. */
  skewMs: number
}

export interface ServiceTokens {
  /** A token for one request; `body` as it is sent (none: the empty digest). */
  sign (request: SignedRequest, body: string | Uint8Array | undefined, now?: number): string
  /** The token's own check; the body it names is compared once the body has arrived (bodyDigest). */
  verify (token: string, request: SignedRequest, now?: number): Verification
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

function mac (key: KeyObject, issuer: string, { method, target, module }: SignedRequest, digest: string, expiresAt: number): Buffer {
  return createHmac('sha256', key).update(`${version}\n${issuer}\n${method}\n${target}\n${module}\n${digest}\n${expiresAt}`).digest()
}

// Token: v2.<expiry, unix ms>.<issuer, base64url>.<body digest, base64url or empty>.<HMAC, base64url>
export function createServiceTokens (secrets: string[], issuer: string, times: TokenTimes): ServiceTokens {
  const keys = secrets.map((secret) => createSecretKey(Buffer.from(secret, 'utf8')))
  const issuerField = Buffer.from(issuer, 'utf8').toString('base64url')

  return {
    sign (request, body, now = Date.now()) {
      const expiresAt = now + times.lifetimeMs
      const digest = bodyDigest(body)
      const signed = { ...request, target: canonicalTarget(request.target) }
      return `${version}.${expiresAt}.${issuerField}.${digest}.${mac(keys[0], issuer, signed, digest, expiresAt).toString('base64url')}`
    },

    verify (token, request, now = Date.now()) {
      const parts = token.split('.')
      if (parts.length !== 5 || parts[0] !== version || !/^\d{1,15}$/.test(parts[1]) || !/^[\w-]{0,43}$/.test(parts[3])) return { ok: false, reason: 'malformed' }
      const expiresAt = Number(parts[1])
      const claimedIssuer = Buffer.from(parts[2], 'base64url').toString('utf8')
      const digest = parts[3]
      const given = Buffer.from(parts[4], 'base64url')
      // The signature is checked before the times, so only a genuine token is ever called expired.
      const genuine = keys.some((key) => {
        const expected = mac(key, claimedIssuer, request, digest, expiresAt)
        return expected.length === given.length && timingSafeEqual(expected, given)
      })
      if (!genuine) return { ok: false, reason: 'invalid' }
      if (expiresAt < now - times.skewMs) return { ok: false, reason: 'expired' }
      if (expiresAt > now + times.lifetimeMs + times.skewMs) return { ok: false, reason: 'future' }
      return { ok: true, issuer: claimedIssuer, bodyDigest: digest }
    }
  }
}
