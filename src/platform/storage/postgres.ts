import { userInfo } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import type { FastifyBaseLogger } from 'fastify'
import pg from 'pg'
import { createCommitCallbacks, runAll } from './commit-callbacks.js'
import type { Db, ModuleDatabase } from './database.js'
import { DatabaseConnectError } from './errors.js'
import { migrationsOf } from './migrations.js'
import { createPostgresTransactions } from './postgres-transaction.js'
import { describePostgres, schemaOf } from './database-url.js'
import { backoffDelay } from '../primitives/backoff.js'

export interface PostgresOptions {
  url: string
  poolMax: number
  connectTimeoutMs: number
  log: FastifyBaseLogger
}

// int8 (bigint, count(*)) arrives as a string by default; every one here is a count or a
// millisecond time, well inside 2^53.
const types = { getTypeParser: (oid: number, format?: 'text' | 'binary') => oid === 20 ? Number : pg.types.getTypeParser(oid, format as 'text') }

// invalid_catalog_name, invalid_authorization_specification, invalid_password.
const permanentCodes = new Set(['3D000', '28000', '28P01'])

/** Longest wait for one connection (a request's, or one try at start-up). */
const connectionTimeoutMs = 5000

async function firstConnection (pool: pg.Pool, module: string, location: string, { connectTimeoutMs, log }: PostgresOptions): Promise<void> {
  const started = Date.now()
  for (let attempt = 1; ; attempt++) {
    const delay = backoffDelay(attempt - 1, { baseMs: 100, maxMs: 5000 })
    try {
      await pool.query('select 1')
      if (attempt > 1) log.info({ module, database: location, attempt }, 'database: connected')
      return
    } catch (error) {
      const reason = (error as Error).message
      const waited = Date.now() - started
      // A database or role that does not exist, or a wrong password, will not appear by waiting.
      if (permanentCodes.has((error as { code?: string }).code ?? '') || waited + delay > connectTimeoutMs) throw new DatabaseConnectError(module, location, waited, reason)
      log.warn({ module, database: location, attempt, retryInMs: delay, reason }, 'database: cannot connect yet; retrying')
      await sleep(delay)
    }
  }
}

// Applied under an advisory lock held on the migrating connection: replicas started together
// wait for the first, then find every migration applied. The migrations table lives in the
// module's own schema (a shared drizzle.__drizzle_migrations skips a second module's, drizzle-orm#1365).
async function migrateLocked (pool: pg.Pool, module: string, schema: string): Promise<void> {
  const client = await pool.connect()
  try {
    await client.query('select pg_advisory_lock(hashtext($1))', [`cleave:migrate:${schema}`])
    try {
      await migrate(drizzle({ client }), { migrationsFolder: migrationsOf(module, 'postgres'), migrationsSchema: schema, migrationsTable: '__drizzle_migrations' })
    } finally {
      await client.query('select pg_advisory_unlock(hashtext($1))', [`cleave:migrate:${schema}`])
    }
  } finally {
    client.release()
  }
}

// A URL without a user means the operating system's user, as psql and libpq take it;
// node-postgres reads $USER instead, which a service's environment often lacks.
function withUser (value: string): string {
  const url = new URL(value)
  if (!url.username) url.username = process.env.PGUSER ?? userInfo().username
  return url.toString()
}

// Every connection of the pool has the module's schema as its search path: its queries name
// tables without a schema and cannot reach another module's.
export async function openPostgres<T> (module: string, tables: T, options: PostgresOptions): Promise<ModuleDatabase<T>> {
  const schema = schemaOf(module)
  const location = describePostgres(options.url, schema)
  const pool = new pg.Pool({
    connectionString: withUser(options.url),
    max: options.poolMax,
    connectionTimeoutMillis: Math.min(connectionTimeoutMs, options.connectTimeoutMs),
    options: `-c search_path=${schema}`,
    application_name: `cleave:${module}`,
    types
  })
  // A connection the server closed (restart, failover, pg_terminate_backend): the pool drops it
  // and opens another when next needed. The pool listens on idle connections only; one checked
  // out (a transaction between two queries) emits its error on itself, and with no listener
  // there the process would crash. The query under way fails, and the request answers 503.
  const lost = (error: Error) => options.log.warn({ module, database: location, reason: error.message }, 'database: a connection was lost')
  pool.on('error', lost)
  pool.on('connect', (client) => client.on('error', lost))
  try {
    await firstConnection(pool, module, location, options)
    await migrateLocked(pool, module, schema)
  } catch (error) {
    await pool.end()
    throw error
  }
  const db = drizzle({ client: pool }) as unknown as Db
  const commitCallbacks = createCommitCallbacks()
  const transaction = createPostgresTransactions(pool)

  return {
    module,
    dialect: 'postgres',
    tables,
    db,
    location,
    async atomically (work) {
      const [result, callbacks] = await transaction((tx) => commitCallbacks.collect(tx, () => work(tx)))
      runAll(callbacks)
      return result
    },
    // A transaction has a connection of its own, so the statement is built on it each time; its
    // name lets each connection parse it once (node-postgres keeps the names it has prepared).
    prepareWrite (name, build) {
      return async (tx, values) => {
        if (tx === db) throw new Error(`${name} is a write: run it with the tx of an atomically() transaction`)
        return build(tx).prepare(name).execute(values)
      }
    },
    afterCommit: commitCallbacks.add,
    async ping () {
      await pool.query('select 1')
    },
    async close () {
      await pool.end()
    }
  }
}
