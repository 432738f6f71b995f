import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// Resolved from this file so the same code finds its folders from src/ (tsx) and dist/ (built).
const sourceRoot = dirname(dirname(dirname(fileURLToPath(import.meta.url))))

export const paths = {
  modules: join(sourceRoot, 'modules'),
  migrations: join(dirname(sourceRoot), 'drizzle'),
  runningFromSource: import.meta.url.endsWith('.ts')
}
