// Each attempt signed with a service token (when SERVICE_SECRET is set) for its method, path,
// target module and body.
import { type ServiceTokens } from '../../security/service-token.js'
import { serviceTokenHeader } from '../../primitives/header-names.js'
import type { Stage } from './pipeline.js'

export function signStage (tokens: ServiceTokens, module: string): Stage {
  return (next) => (call) => {
    call.headers[serviceTokenHeader] = tokens.sign({ method: call.operation.route.method, target: call.path, module }, call.body)
    return next(call)
  }
}
