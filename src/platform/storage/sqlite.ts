import Database from 'better-sqlite3'
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { paths } from '../app/paths.js'

export type Db = BetterSQLite3Database & { $client: Database.Database }

export function databaseFile (dataDir: string, module: string): string {
  return join(dataDir, `${module}.sqlite`)
}

export function migrationsOf (module: string): string {
  return join(paths.migrations, module)
}

export function hasMigrations (module: string): boolean {
  return existsSync(join(migrationsOf(module), 'meta', '_journal.json'))
}

// WAL lets readers run beside the writer; the busy timeout covers a second process on the same file.
export function openSqlite (dataDir: string, module: string): Db {
  mkdirSync(dataDir, { recursive: true })
  const client = new Database(databaseFile(dataDir, module))
  client.pragma('journal_mode = WAL')
  client.pragma('synchronous = NORMAL')
  client.pragma('foreign_keys = ON')
  client.pragma('busy_timeout = 5000')
  const db = drizzle({ client })
  migrate(db, { migrationsFolder: migrationsOf(module) })
  return db
}
