import { drizzle } from 'drizzle-orm/node-postgres'
import type pg from 'pg'
import type { Db } from './database.js'

/**
 * Runs `work` in a transaction on a connection of the pool, and gives the connection back whatever
 * happens. drizzle's own transaction on a pool (0.45.4) sends BEGIN before the `try` whose `finally`
 * releases the connection: a BEGIN that fails, as it does on a connection lost while it sat idle,
 * leaks it, and a few such losses fill the pool for good, every request then waiting for a
 * connection until it times out (drizzle-orm#6023, #6241, open). The pool itself drops a released
 * connection that is no longer usable.
 */
export function createPostgresTransactions (pool: pg.Pool) {
  // A drizzle instance per connection, made once: the pool keeps its connections for reuse.
  const instances = new WeakMap<pg.PoolClient, Db>()

  return async function transaction<R> (work: (tx: Db) => Promise<R>): Promise<R> {
    const client = await pool.connect()
    try {
      let db = instances.get(client)
      if (!db) instances.set(client, db = drizzle({ client }) as unknown as Db)
      return await db.transaction(work)
    } finally {
      client.release()
    }
  }
}
