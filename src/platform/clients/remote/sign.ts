// Each attempt signed with a service token (when SERVICE_SECRET is set) for its method and path.
import { serviceTokenHeader, type ServiceTokens } from '../../security/service-token.js'
import type { Stage } from './pipeline.js'

export function signStage (tokens: ServiceTokens): Stage {
  return (next) => (call) => {
    call.headers[serviceTokenHeader] = tokens.sign(call.operation.route.method, call.path)
    return next(call)
  }
}
