import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import type { Dialect } from './table-kit.js'

/**
 * A module's queries, on either dialect: builders are awaited (the one way both drivers share).
 * Typed as PostgreSQL's; at run time it is SQLite's where the module is on SQLite.
 */
export type Db = PgDatabase<PgQueryResultHKT, Record<string, never>>

/** A builder drizzle can compile once: a select, insert, update or delete (`.prepare(name)`). */
export interface Preparable<R> {
  prepare (name: string): { execute (values?: Record<string, unknown>): Promise<R> }
}

/** A write compiled once (ModuleDatabase.prepareWrite), run through a transaction's `tx`. */
export type PreparedWrite<R> = (tx: Db, values?: Record<string, unknown>) => Promise<R>

/** One module's database, whichever dialect holds it. */
export interface ModuleDatabase<T = Record<string, unknown>> {
  readonly module: string
  readonly dialect: Dialect
  /** The module's tables in this database's dialect. */
  readonly tables: T
  /** For reads. On SQLite a query-only connection: a write outside `atomically` fails loudly. */
  readonly db: Db
  /**
   * Runs `work` in one transaction, committed when it resolves, rolled back when it throws. Every
   * write goes through here. Not reentrant: pass `tx` down rather than nesting.
   */
  atomically<R> (work: (tx: Db) => Promise<R>): Promise<R>
  /**
   * A write compiled once, for a hot path: an awaited builder has its SQL built anew each time
   * by drizzle, which costs more than SQLite takes to run it. `build` writes it on the `tx` it
   * is given, with sql.placeholder('key') for each value; the function returned runs it through
   * an atomically() `tx` with those values. Reads outside a transaction are prepared on `db`
   * with drizzle's own `.prepare(name)`, then run with `await statement.execute(values)`.
   * `name` names a PostgreSQL prepared statement: one per statement in the module's database.
   */
  prepareWrite<R> (name: string, build: (tx: Db) => Preparable<R>): PreparedWrite<R>
  /** Runs `callback` once the transaction `tx` belongs to has committed; never if it rolls back. */
  afterCommit (tx: Db, callback: () => void): void
  /** Resolves when the database answers a query. */
  ping (): Promise<void>
  /** Where it is, without credentials (for logs and /health). */
  readonly location: string
  close (): Promise<void>
}
