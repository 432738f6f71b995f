import { Type } from '@sinclair/typebox'
import { maxTimerMs } from './limits.js'

/** HTTP: what a client may send, and where it is taken to come from. */
export const httpSettings = {
  TRUST_PROXY: Type.Boolean({ default: false, description: '`true` only behind a proxy of your own that sets `X-Forwarded-For`: the client\'s address (rate limits, the admin failure budget, logs) is read from it, and the gateway keeps the forwarding headers it gets (`X-Forwarded-*`, `Forwarded`, `X-Real-IP`), adding its own hop. `false`: the address is the connection\'s, a client\'s forwarding headers are dropped and the gateway sets `X-Forwarded-For`, `-Host` and `-Proto` itself' }),
  CORS_ORIGINS: Type.Optional(Type.String({
    pattern: '^(\\*|https?://[^,\\s]+(,https?://[^,\\s]+)*)$',
    expected: 'browser origins allowed to call the API: "*" or a comma list of http(s) origins',
    description: 'browser origins allowed to call the API: `*` or a comma list of http(s) origins; unset, no CORS headers are sent. In a split, set it on the gateway'
  })),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1, default: 1_048_576, description: 'largest request body in bytes; a bigger one is refused with 413 problem+json naming the limit' }),
  REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: maxTimerMs, default: 30000, description: 'longest time a client may take to send a whole request, headers and body, however steadily it trickles; past it the answer is 408 problem+json (`CLV_REQUEST_TIMEOUT`) and the connection is closed. Raise it for slow uploads' }),
  MAX_CONNECTIONS: Type.Optional(Type.Integer({ minimum: 1, defaultText: 'half the open-file limit', description: 'most client connections open at once; further ones are dropped on arrival and a warning is logged (at most one per 5 s, with the count). Unset, it is half the process\'s open-file limit (Linux `/proc/self/limits`; 1000 where that cannot be read), leaving the other half for databases, Redis, logs and the calls requests make' }))
}
