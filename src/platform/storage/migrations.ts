import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { paths } from '../primitives/paths.js'
import type { Dialect } from './table-kit.js'

/** drizzle-kit's output for one module and dialect: drizzle/<module>/<dialect>/. */
export function migrationsOf (module: string, dialect: Dialect): string {
  return join(paths.migrations, module, dialect)
}

/** Whether the module keeps data at all (a module without tables has no migrations). */
export function hasMigrations (module: string): boolean {
  return existsSync(join(migrationsOf(module, 'sqlite'), 'meta', '_journal.json'))
}
