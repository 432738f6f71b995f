// cleave_target_instances: the instances discovery knows of per target module, counted on scrape,
// so "a target with no live instance" is a series at 0 rather than only a 503 in a log; and
// cleave_target_instances_ejected: how many of them passive health passes over right now; and
// cleave_target_instances_unhealthy: how many fail their health checks (out of rotation).
import { Gauge, type Registry } from 'prom-client'
import type { Resolver } from './discovery.js'
import type { InstanceHealth } from './instance-health.js'

function instancesGauge (name: string, help: string, instances: (target: string) => Promise<number>, targets: () => Iterable<string>) {
  return new Gauge({
    name,
    help,
    labelNames: ['target'],
    registers: [],
    async collect () {
      this.reset()
      const names = [...targets()]
      const counts = await Promise.all(names.map(instances))
      names.forEach((target, i) => this.set({ target }, counts[i]))
    }
  })
}

export function addInstancesGauge (registry: Registry, resolver: Resolver, health: InstanceHealth, targets: () => Iterable<string>) {
  registry.registerMetric(instancesGauge('cleave_target_instances', 'Live instances discovery knows of per target module this process routes or calls to',
    async (target) => (await resolver.instances(target)).length, targets))
  registry.registerMetric(instancesGauge('cleave_target_instances_ejected', 'Instances of each target module passed over for now because they accepted no connection from this process',
    async (target) => (await resolver.instances(target)).filter((instance) => health.ejected(instance)).length, targets))
  registry.registerMetric(instancesGauge('cleave_target_instances_unhealthy', 'Instances of each target module out of rotation because they fail this process\'s health checks (GET /health/live)',
    async (target) => { const known = await resolver.instances(target); return known.length - health.inRotation(known).length }, targets))
}
