// A body's digest, taken of its bytes as they came (json-body.ts) and as they are sent (a signed
// call, security/service-token.ts): the two sides of a token that names its body.
import { createHash } from 'node:crypto'

/** sha256 of the body's bytes, base64url; '' for a request without one. */
export function bodyDigest (body: string | Uint8Array | undefined): string {
  return body === undefined || body.length === 0 ? '' : createHash('sha256').update(body).digest('base64url')
}
