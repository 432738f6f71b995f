import { createError } from '../primitives/coded-errors.js'

// Details name the module, never an instance address: those stay in the log.
export const NoUpstream = createError('CLV_GATEWAY_NO_UPSTREAM', 'No instance of module %s is known', 503)
// No stack: made on every request while a module is out, and the message says everything.
export const NoHealthyUpstream = createError('CLV_GATEWAY_NO_HEALTHY_UPSTREAM', 'No instance of module %s passes its health checks', 503, Error, false)
export const UpstreamBreakerOpen = createError('CLV_GATEWAY_BREAKER_OPEN', 'Module %s is failing: its circuit breaker is open', 503, Error, false)
export const UpstreamUnavailable = createError('CLV_GATEWAY_UPSTREAM_UNAVAILABLE', 'Module %s could not be reached', 503)
export const UpstreamTimeout = createError('CLV_GATEWAY_UPSTREAM_TIMEOUT', 'Module %s did not answer within %d ms', 504)
export const BadUpstream = createError('CLV_GATEWAY_BAD_UPSTREAM', 'Module %s sent a response the gateway could not relay', 502)
