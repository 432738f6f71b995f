import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { isContract, type Contract } from './define-contract.js'
import { availableModules } from './module-names.js'
import { paths } from '../app/paths.js'

// Every module's contract, mounted here or not: clients, the gateway and event fan-out need
// to know modules this process does not run. Found by folder, so the platform names none.
export async function loadContracts (modules = availableModules()): Promise<Map<string, Contract>> {
  const contracts = new Map<string, Contract>()
  for (const module of modules) {
    const file = ['contract.ts', 'contract.js'].map((name) => join(paths.modules, module, name)).find((candidate) => existsSync(candidate))
    if (!file) continue
    const exported = Object.values(await import(pathToFileURL(file).href)).find(isContract)
    if (!exported) throw new Error(`${file} exports no defineContract(...) result`)
    if (exported.module !== module) throw new Error(`${file} declares module "${exported.module}", expected "${module}"`)
    contracts.set(module, exported)
  }
  return contracts
}
