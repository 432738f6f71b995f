// A module's published contract: the OpenAPI document its own process serves (for an external
// module, the one its contract alone gives), filtered to its URL prefixes exactly as the gateway
// merges it, with keys in a stable order.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../../src/platform/app/build-app.js'
import { loadConfig } from '../../src/platform/config/config.js'
import { contractDocument } from '../../src/platform/app/contract-document.js'
import { loadModuleRegistry, type ModuleRegistry } from '../../src/platform/contracts/module-registry.js'
import { mergeDocuments } from '../../src/platform/gateway/merge-documents.js'
import type { OpenApiDocument } from '../../src/platform/primitives/openapi-document.js'
import { modulePrefixes, prefixesByModule } from '../../src/platform/gateway/module-prefixes.js'

export const contractsDir = join(import.meta.dirname, '../../contracts')

export function snapshotFile (module: string): string {
  return join(contractsDir, `${module}.json`)
}

/** Object keys sorted at every level; arrays keep their order (it can carry meaning). */
export function sortKeys<T> (value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])])) as T
}

export function serialize (document: OpenApiDocument): string {
  return `${JSON.stringify(sortKeys(document), null, 2)}\n`
}

// Only the API is published: info names the process that served it, which is not part of the contract.
const bare: OpenApiDocument = { openapi: '3.0.3', info: { title: 'Cleave', version: '0.1.0' } }

async function servedDocument (registry: ModuleRegistry, module: string): Promise<OpenApiDocument> {
  const contract = registry.contracts.get(module)
  if (contract?.external) return contractDocument(contract, loadConfig({ LOG_LEVEL: 'silent' }, registry), registry)
  const dataDir = mkdtempSync(join(tmpdir(), 'cleave-contract-'))
  const app = await buildApp(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', MODULES: module }, registry), registry)
  try {
    return (await app.inject('/docs/json')).json()
  } finally {
    await app.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** Every module's current contract document (or only those of `only`), by module name. */
export async function currentDocuments (only: string[] = []): Promise<Map<string, OpenApiDocument>> {
  const registry = await loadModuleRegistry()
  const prefixes = prefixesByModule(modulePrefixes(registry.contracts.values()))
  const documents = new Map<string, OpenApiDocument>()
  for (const [module, modulePaths] of [...prefixes].sort(([a], [b]) => a.localeCompare(b))) {
    // Each document is a whole app built and started: one module's costs one, not one per module.
    if (only.length > 0 && !only.includes(module)) continue
    const merged = mergeDocuments(bare, [{ module, prefixes: modulePaths, document: await servedDocument(registry, module) }])
    const { info: _info, ...api } = merged
    documents.set(module, sortKeys(api as OpenApiDocument))
  }
  return documents
}
