// Every module of src/modules: its name and its contract. The entry point loads it once and
// passes it in; config, clients, events, the gateway and runtime config read that one value, so
// the folder is scanned and the contracts imported once, and the platform names no module.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { paths, sourceFile } from '../primitives/paths.js'
import { isContract, type Contract } from './define-contract.js'

export interface ModuleRegistry {
  /** Every module with an index file, sorted: what MODULES can mount. */
  names: string[]
  /** Modules whose folder holds only an external contract: implemented elsewhere, sorted. */
  external: string[]
  /** Each module's contract, external ones included (a module without one, if any, has none here). */
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
  return { names, external, contracts }
}
