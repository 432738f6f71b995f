import { loadModuleRegistry } from '../../src/platform/contracts/module-registry.js'

// The module registry, loaded once per test process as an entry point loads it.
export const registry = await loadModuleRegistry()
