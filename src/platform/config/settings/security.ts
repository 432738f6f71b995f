import { Type } from '@sinclair/typebox'
import { maxTimerMs, maxRequests } from './limits.js'

/** Security: the admin token, rate limits and the tokens that sign calls between processes. */
export const securitySettings = {
  ADMIN_TOKEN: Type.Optional(Type.String({
    minLength: 16,
    secret: true,
    expected: 'a secret of at least 16 characters',
    description: 'a secret of at least 16 characters that `/admin/*` requires, as a bearer token or an HTTP Basic password; unset, the admin routes do not exist'
  })),
  RATE_LIMIT_MAX: Type.Integer({ minimum: 0, maximum: maxRequests, default: 0, description: 'requests one client IP may make per window (`0`: no limit); changeable at run time' }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1, maximum: maxTimerMs, default: 60000, description: 'length of a rate-limit window; changeable at run time' }),
  SERVICE_SECRET: Type.Optional(Type.String({
    pattern: '^[^,]{32,}(,[^,]{32,})*$',
    secret: true,
    expected: 'shared secret(s) of at least 32 characters, comma-separated to rotate',
    description: 'shared secret(s) of at least 32 characters that sign calls between Cleave processes, comma-separated to rotate (sign with the first, accept any); when set, module routes accept only signed calls, carrying a service token (docs/guides/security.md). `npm run split` makes one up if unset; `deploy/compose.yaml` has no default and stops until it is set'
  })),
  SIGNED_CALL_LIFETIME_MS: Type.Integer({ minimum: 100, maximum: 300_000, default: 5000, description: 'how long a service token (`SERVICE_SECRET`) is good for after it is signed: the identical request can be replayed within it, nothing else' }),
  SIGNED_CALL_SKEW_MS: Type.Integer({ minimum: 0, maximum: 300_000, default: 5000, description: 'how far the clocks of two hosts may disagree, either way, for a service token to be accepted' })
}
