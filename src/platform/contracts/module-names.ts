import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { paths } from '../app/paths.js'

// The platform learns module names from the folder, never from a list in code.
export function availableModules (dir = paths.modules): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .filter((entry) => ['index.ts', 'index.js'].some((file) => existsSync(join(dir, entry.name, file))))
    .map((entry) => entry.name)
    .sort()
}
