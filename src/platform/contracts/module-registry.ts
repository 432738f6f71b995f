// Every module of src/modules, found once when the process starts: its name and its contract.
// Config, clients, events, the gateway and runtime config all read this one registry, so the
// folder is scanned and the contracts imported exactly once, and the platform names no module.
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { paths } from '../app/paths.js'
import { isContract, type Contract } from './define-contract.js'

export interface ModuleRegistry {
  /** Every module with an index file, sorted: what MODULES can mount. */
  names: string[]
  /** Modules whose folder holds only an external contract: implemented elsewhere, sorted. */
  external: string[]
  /** Each module's contract, external ones included (a module without one, if any, has none here). */
  contracts: ReadonlyMap<string, Contract>
}

/** `<dir>/<name>.ts` when running from source, `.js` when built; undefined when the module has none. */
export function fileOf (dir: string, name: string): string | undefined {
  return [`${name}.ts`, `${name}.js`].map((file) => join(dir, file)).find((candidate) => existsSync(candidate))
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
    const index = fileOf(join(dir, module), 'index')
    const file = fileOf(join(dir, module), 'contract')
    const contract = file === undefined ? undefined : await importContract(file, module)
    if (contract?.external && index) throw new Error(`${module}: an external module's folder holds only its contract, yet it has an index file`)
    if (contract?.external) external.push(module)
    else if (index) names.push(module)
    else continue
    if (contract) contracts.set(module, contract)
  }
  return { names, external, contracts }
}

// Loaded when this file is first imported: a contract imports only define-contract and the http
// error helpers, never this registry, so the import cannot wait on itself.
export const moduleRegistry = await loadModuleRegistry()
