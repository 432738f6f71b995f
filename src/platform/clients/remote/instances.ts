// The target's instances in rotation for this call: discovery's, less those failing their health checks.
import type { Resolver } from '../../discovery/discovery.js'
import type { InstanceHealth } from '../../discovery/instance-health.js'
import { DependencyUnavailable } from '../call-errors.js'
import type { Stage } from './pipeline.js'

export function instancesStage (target: string, resolver: Resolver, health: InstanceHealth): Stage {
  return (next) => async (call) => {
    const known = await resolver.instances(target)
    if (known.length === 0) throw new DependencyUnavailable(target, 'no instance is known')
    call.instances = health.inRotation(known)
    if (call.instances.length === 0) throw new DependencyUnavailable(target, 'every instance fails its health checks')
    return next(call)
  }
}
