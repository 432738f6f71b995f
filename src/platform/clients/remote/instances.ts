// The target's instances for this call, from the resolver.
import type { Resolver } from '../../discovery/discovery.js'
import { DependencyUnavailable } from '../call-errors.js'
import type { Stage } from './pipeline.js'

export function instancesStage (target: string, resolver: Resolver): Stage {
  return (next) => async (call) => {
    call.instances = await resolver.instances(target)
    if (call.instances.length === 0) throw new DependencyUnavailable(target, 'no instance is known')
    return next(call)
  }
}
