// Every module of src/modules, found once when the process starts: its name and its contract.
// Config, clients, events, the gateway and runtime config all read this one registry, so the
// folder is scanned and the contracts imported exactly once, and the platform names no module.
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { paths } from '../app/paths.js'
import { isContract, type Contract } from './define-contract.js'

export interface ModuleRegistry {
  /** Every module with an index file, sorted. */
  names: string[]
  /** Each module's contract (a module without one, if any, has none here). */
  contracts: ReadonlyMap<string, Contract>
}

/** `<dir>/<name>.ts` when running from source, `.js` when built; undefined when the module has none. */
export function fileOf (dir: string, name: string): string | undefined {
  return [`${name}.ts`, `${name}.js`].map((file) => join(dir, file)).find((candidate) => existsSync(candidate))
}

export async function loadModuleRegistry (dir = paths.modules): Promise<ModuleRegistry> {
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fileOf(join(dir, entry.name), 'index') !== undefined)
    .map((entry) => entry.name)
    .sort()
  const contracts = new Map<string, Contract>()
  for (const module of names) {
    const file = fileOf(join(dir, module), 'contract')
    if (!file) continue
    const exported = Object.values(await import(pathToFileURL(file).href)).find(isContract)
    if (!exported) throw new Error(`${file} exports no defineContract(...) result`)
    if (exported.module !== module) throw new Error(`${file} declares module "${exported.module}", expected "${module}"`)
    contracts.set(module, exported)
  }
  return { names, contracts }
}

// Loaded when this file is first imported: a contract imports only define-contract and the http
// error helpers, never this registry, so the import cannot wait on itself.
export const moduleRegistry = await loadModuleRegistry()
