// Every module of src/modules: its name and its contract. The entry point loads it once and
// passes it in; config, clients, events, the gateway and runtime config read that one value, so
// the folder is scanned and the contracts imported once, and the platform names no module.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { paths, sourceFile } from '../primitives/paths.js'
import type { EventRoute, ModuleGraph } from '../primitives/module-graph.js'
import { isContract, type Contract } from './define-contract.js'

/** The module graph, and each module's contract (external ones included). */
export interface ModuleRegistry extends ModuleGraph {
  contracts: ReadonlyMap<string, Contract>
}

async function importContract (file: string, module: string): Promise<Contract> {
  const exported = Object.values(await import(pathToFileURL(file).href)).find(isContract)
  if (!exported) throw new Error(`${file} exports no defineContract(...) result`)
  if (exported.module !== module) throw new Error(`${file} declares module "${exported.module}", expected "${module}"`)
  return exported
}

export async function loadModuleRegistry (dir = paths.modules): Promise<ModuleRegistry> {
  const names: string[] = []
  const external: string[] = []
  const contracts = new Map<string, Contract>()
  const folders = readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort()
  for (const module of folders) {
    const index = sourceFile(join(dir, module), 'index')
    const file = sourceFile(join(dir, module), 'contract')
    const contract = file === undefined ? undefined : await importContract(file, module)
    if (contract?.external && index) throw new Error(`${module}: an external module's folder holds only its contract, yet it has an index file`)
    if (contract?.external) external.push(module)
    else if (index) names.push(module)
    else continue
    if (contract) contracts.set(module, contract)
  }
  return { names, external, contracts, ...edges(contracts) }
}

// Who calls whom and who handles whose events, as the contracts declare; a call to a module
// that does not exist is refused here, as an event nobody publishes is.
function edges (contracts: ReadonlyMap<string, Contract>): Pick<ModuleGraph, 'calls' | 'events'> {
  const calls: Record<string, readonly string[]> = {}
  for (const { module, calls: targets } of contracts.values()) {
    if (!Array.isArray(targets)) throw new Error(`${module}: its contract declares no calls (calls: [] when it calls no module)`)
    for (const target of targets) {
      if (!contracts.has(target) || target === module) throw new Error(`${module}: its contract declares calls to "${target}", ${target === module ? 'itself' : 'which is no module'}`)
    }
    if (targets.length > 0) calls[module] = [...targets].sort()
  }
  const events = new Map<string, EventRoute & { subscribers: string[] }>()
  for (const { module, events: declared } of contracts.values()) {
    for (const name of Object.keys(declared?.publishes ?? {})) {
      const other = events.get(name)
      if (other) throw new Error(`event ${name} is published by both ${other.publisher} and ${module}`)
      events.set(name, { name, publisher: module, subscribers: [] })
    }
  }
  for (const { module, events: declared } of contracts.values()) {
    for (const name of declared?.subscribes ?? []) {
      const event = events.get(name)
      if (!event) throw new Error(`${module} subscribes to ${name}, which no module publishes`)
      event.subscribers.push(module)
    }
  }
  return { calls, events: [...events.values()].sort((a, b) => a.name.localeCompare(b.name)) }
}
