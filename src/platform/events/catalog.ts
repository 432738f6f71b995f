import type { TSchema } from '@sinclair/typebox'
import type { Contract } from '../contracts/define-contract.js'

export interface EventCatalog {
  schema (name: string): TSchema
  publisher (name: string): string
  subscribers (name: string): string[]
  /** Modules that subscribe to anything: each has a queue. */
  subscribingModules: string[]
  /** Modules that publish anything: each has an outbox and, where mounted, a relay. */
  publishingModules: string[]
}

// Built from every contract, so fan-out is the same whichever modules this process mounts.
export function buildEventCatalog (contracts: Iterable<Contract>): EventCatalog {
  const schemas = new Map<string, { schema: TSchema, module: string }>()
  const subscribers = new Map<string, string[]>()
  const all = [...contracts]
  for (const contract of all) {
    for (const [name, schema] of Object.entries(contract.events?.publishes ?? {})) {
      const other = schemas.get(name)
      if (other) throw new Error(`event ${name} is published by both ${other.module} and ${contract.module}`)
      schemas.set(name, { schema, module: contract.module })
    }
  }
  for (const contract of all) {
    for (const name of contract.events?.subscribes ?? []) {
      if (!schemas.has(name)) throw new Error(`${contract.module} subscribes to ${name}, which no module publishes`)
      subscribers.set(name, [...(subscribers.get(name) ?? []), contract.module])
    }
  }
  const known = (name: string) => {
    const found = schemas.get(name)
    if (!found) throw new Error(`no module publishes event ${name}`)
    return found
  }
  return {
    schema: (name) => known(name).schema,
    publisher: (name) => known(name).module,
    subscribers: (name) => subscribers.get(name) ?? [],
    subscribingModules: all.filter((contract) => (contract.events?.subscribes ?? []).length > 0).map((contract) => contract.module),
    publishingModules: [...new Set([...schemas.values()].map((found) => found.module))]
  }
}
