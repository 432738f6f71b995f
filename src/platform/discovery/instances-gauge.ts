// cleave_target_instances: the instances discovery knows of per target module, counted on scrape,
// so "a target with no live instance" is a series at 0 rather than only a 503 in a log.
import { Gauge, type Registry } from 'prom-client'
import type { Resolver } from './discovery.js'

export function addInstancesGauge (registry: Registry, resolver: Resolver, targets: () => Iterable<string>) {
  registry.registerMetric(new Gauge({
    name: 'cleave_target_instances',
    help: 'Live instances discovery knows of per target module this process routes or calls to',
    labelNames: ['target'],
    registers: [],
    async collect () {
      this.reset()
      const names = [...targets()]
      const found = await Promise.all(names.map((target) => resolver.instances(target)))
      names.forEach((target, i) => this.set({ target }, found[i].length))
    }
  }))
}
