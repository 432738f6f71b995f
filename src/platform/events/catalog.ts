import type { TSchema } from '@sinclair/typebox'
import type { ModuleRegistry } from '../contracts/module-registry.js'

export interface EventCatalog {
  schema (name: string): TSchema
  publisher (name: string): string
  subscribers (name: string): string[]
  /** Modules that subscribe to anything: each has a queue. */
  subscribingModules: string[]
  /** Modules that publish anything: each has an outbox and, where mounted, a relay. */
  publishingModules: string[]
}

// Built from the whole module graph, so fan-out is the same whichever modules this process mounts.
export function buildEventCatalog ({ contracts, events }: Pick<ModuleRegistry, 'contracts' | 'events'>): EventCatalog {
  const routes = new Map(events.map((event) => [event.name, event]))
  const known = (name: string) => {
    const found = routes.get(name)
    if (!found) throw new Error(`no module publishes event ${name}`)
    return found
  }
  return {
    schema: (name) => contracts.get(known(name).publisher)!.events!.publishes![name],
    publisher: (name) => known(name).publisher,
    subscribers: (name) => [...(routes.get(name)?.subscribers ?? [])],
    subscribingModules: [...new Set(events.flatMap((event) => event.subscribers))].sort(),
    publishingModules: [...new Set(events.map((event) => event.publisher))].sort()
  }
}
