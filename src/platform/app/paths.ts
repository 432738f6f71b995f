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
