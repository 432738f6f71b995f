// The module registry as one app sees it: every module's contract (the registry) plus what
// this process implements of each, the operations and event handlers a module gave in
// implement(). Clients call those operations directly, events runs those handlers, and the
// app turns the operations into routes where it serves HTTP.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Contract, OperationContext, Operations } from '../contracts/define-contract.js'
import type { EventHandler, EventHandlers, EventName } from '../events/event.js'
import type { ModuleRegistry } from '../contracts/module-registry.js'

export type LocalOperation = (input: { params?: unknown, query?: unknown, body?: unknown }, context: OperationContext) => Promise<unknown>
type SubscribedEvents<C extends Contract> = EventName & NonNullable<NonNullable<C['events']>['subscribes']>[number]

export interface Implementation {
  contract: Contract
  operations: Record<string, LocalOperation>
  handlers: Record<string, EventHandler<never>>
}

export interface AppRegistry extends ModuleRegistry {
  /** The modules this process runs, by name. */
  implemented: ReadonlyMap<string, Implementation>
  /** A module's plugin gives its operations, and a handler for each event its contract subscribes to. */
  implement<C extends Contract> (contract: C, parts: { operations: Operations<C>, handlers?: EventHandlers<SubscribedEvents<C>> }): void
}

declare module 'fastify' {
  interface FastifyInstance { registry: AppRegistry }
}

function checkHandlers (contract: Contract, handlers: object): void {
  const declared = contract.events?.subscribes ?? []
  const given = Object.keys(handlers)
  const missing = declared.filter((name) => !given.includes(name))
  const undeclared = given.filter((name) => !declared.includes(name))
  if (missing.length || undeclared.length) throw new Error(`${contract.module}: handlers must match the contract's subscribes (missing: ${missing.join(', ') || '-'}; not declared: ${undeclared.join(', ') || '-'})`)
}

async function appRegistry (app: FastifyInstance, { registry }: { registry: ModuleRegistry }) {
  const implemented = new Map<string, Implementation>()
  app.decorate('registry', {
    ...registry,
    implemented,
    implement (contract, { operations, handlers = {} as never }) {
      if (implemented.has(contract.module)) throw new Error(`${contract.module} is implemented twice`)
      checkHandlers(contract, handlers)
      implemented.set(contract.module, { contract, operations: operations as never, handlers: handlers as never })
    }
  } satisfies AppRegistry)
}

export default fp(appRegistry, { name: 'registry' })
