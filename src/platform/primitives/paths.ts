import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// Resolved from this file so the same code finds its folders from src/ (tsx) and dist/ (built).
const sourceRoot = dirname(dirname(dirname(fileURLToPath(import.meta.url))))

export const paths = {
  modules: join(sourceRoot, 'modules'),
  migrations: join(dirname(sourceRoot), 'drizzle'),
  /** Each module's published OpenAPI contract, contracts/<module>.json (npm run contracts:update). */
  contracts: join(dirname(sourceRoot), 'contracts'),
  runningFromSource: import.meta.url.endsWith('.ts')
}

/** `<dir>/<name>.ts` when running from source, `.js` when built; undefined when there is neither. */
export function sourceFile (dir: string, name: string): string | undefined {
  return [`${name}.ts`, `${name}.js`].map((file) => join(dir, file)).find((candidate) => existsSync(candidate))
}
