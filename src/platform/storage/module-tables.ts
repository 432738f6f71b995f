import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { PgTable } from 'drizzle-orm/pg-core'
import { paths, sourceFile } from '../primitives/paths.js'
import type { Tables } from './table-kit.js'

export interface ModuleTables {
  /** The name it is exported under (drizzle-kit's schema files import it by name). */
  name: string
  tables: Tables<Record<string, PgTable>>
}

// Found by path, as the registry finds contracts, so the platform names no module. The file
// exports one defineTables() set (two would leave it unclear which tables are the module's);
// other exports, such as an index's name the store refers to, are not tables.
function isTables (value: unknown): value is Tables<Record<string, PgTable>> {
  return typeof value === 'object' && value !== null && 'sqlite' in value && 'postgres' in value
}

/** What `src/modules/<module>/tables.ts` declares; undefined when the module stores nothing. */
export async function loadModuleTables (module: string, dir = paths.modules): Promise<ModuleTables | undefined> {
  const file = sourceFile(join(dir, module), 'tables')
  if (!file) return undefined
  const exported = Object.entries(await import(pathToFileURL(file).href) as Record<string, unknown>).filter(([, value]) => isTables(value))
  if (exported.length !== 1) throw new Error(`${file} must export exactly one defineTables() set`)
  const [[name, tables]] = exported as [[string, Tables<Record<string, PgTable>>]]
  return { name, tables }
}
