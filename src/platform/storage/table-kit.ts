import * as pg from 'drizzle-orm/pg-core'
import * as sqlite from 'drizzle-orm/sqlite-core'

export type Dialect = 'sqlite' | 'postgres'

// Drizzle has no dialect-neutral tables (drizzle-orm#1196). A module declares its tables once,
// as a function of this kit, and gets one set per dialect: one declaration means no second copy
// to drift, and drizzle-kit generates each dialect's migrations from the same source. The kit
// names what a column means (an id, an integer, JSON) and maps it to each dialect's right type. It is typed as PostgreSQL's builders: those can only be awaited, which is the
// one way of querying both dialects share, so a SQLite-only call (.get(), .all(), .run()) in a
// store does not compile.
const postgresKit = {
  table: pg.pgTable,
  /** A generated integer primary key: identity on PostgreSQL, AUTOINCREMENT on SQLite. */
  id: (name: string) => pg.bigint(name, { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
  /** 64 bits, as SQLite's INTEGER is (ids, counts, millisecond times), read as a number. */
  integer: (name: string) => pg.bigint(name, { mode: 'number' }),
  text: pg.text,
  /** JSON kept as written (json, not jsonb, on PostgreSQL: the text and its key order are kept). */
  json: (name: string) => pg.json(name),
  index: pg.index,
  uniqueIndex: pg.uniqueIndex,
  primaryKey: pg.primaryKey
}

export type TableKit = typeof postgresKit

// SQLite's builders have the same methods under the names used here (notNull, default, unique,
// references, $type, on), so they stand in for PostgreSQL's at run time.
const sqliteKit = {
  table: sqlite.sqliteTable,
  id: (name: string) => sqlite.integer(name).primaryKey({ autoIncrement: true }),
  integer: (name: string) => sqlite.integer(name),
  text: sqlite.text,
  json: (name: string) => sqlite.text(name, { mode: 'json' }),
  index: sqlite.index,
  uniqueIndex: sqlite.uniqueIndex,
  primaryKey: sqlite.primaryKey
} as unknown as TableKit

export type Tables<T> = Record<Dialect, T>

/** A module's tables, declared once, built for both dialects. */
export function defineTables<T extends Record<string, pg.PgTable>> (declare: (kit: TableKit) => T): Tables<T> {
  return { postgres: declare(postgresKit), sqlite: declare(sqliteKit) }
}
