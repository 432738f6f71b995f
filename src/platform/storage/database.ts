import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import type { Dialect } from './table-kit.js'

/**
 * A module's queries, on either dialect: builders are awaited (the one way both drivers share).
 * Typed as PostgreSQL's; at run time it is SQLite's where the module is on SQLite.
 */
export type Db = PgDatabase<PgQueryResultHKT, Record<string, never>>

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
  /** Runs `callback` once the transaction `tx` belongs to has committed; never if it rolls back. */
  afterCommit (tx: Db, callback: () => void): void
  /** Resolves when the database answers a query. */
  ping (): Promise<void>
  /** Where it is, without credentials (for logs and /health). */
  readonly location: string
  close (): Promise<void>
}
