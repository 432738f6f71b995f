import { randomBytes } from 'node:crypto'
import { sql } from 'drizzle-orm'
import pg from 'pg'
import type { Test } from 'tap'
import type { ModuleDatabase } from '../../src/platform/storage/database.js'

/**
 * The dialect this test file's apps and processes store in: SQLite unless CLEAVE_TEST_DATABASE
 * is postgres (npm test runs the files marked `// dialects: sqlite postgres` again with it: scripts/run-tests.ts).
 */
export function testDialect (): 'sqlite' | 'postgres' {
  return process.env.CLEAVE_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite'
}

/** The machine's PostgreSQL (trust auth); PGHOST/PGPORT/PGUSER move it. */
export function postgresServerUrl (database = 'postgres'): string {
  const host = process.env.PGHOST ?? '127.0.0.1'
  const port = process.env.PGPORT ?? '5432'
  const user = process.env.PGUSER ?? 'postgres'
  return `postgres://${user}@${host}:${port}/${database}`
}

/** One query on a database of the machine's PostgreSQL (its maintenance database by default). */
export async function adminQuery (text: string, url = postgresServerUrl()): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await client.query(text)
  } finally {
    await client.end()
  }
}

const testDatabasePrefix = 'cleave_test_'

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

// A test file tap killed (its timeout) never ran its teardowns. Its databases carry its pid, so
// the next file on this machine drops those whose process is gone, and nothing else.
async function dropOrphans (): Promise<void> {
  const { rows } = await adminQuery(`select datname from pg_database where datname like '${testDatabasePrefix}%'`)
  for (const { datname } of rows as Array<{ datname: string }>) {
    const pid = Number(/^cleave_test_(\d+)_/.exec(datname)?.[1])
    if (pid && !isAlive(pid)) await adminQuery(`drop database if exists ${datname} with (force)`).catch(() => {})
  }
}

/** A database of its own for this test, dropped (with whatever is still connected) when it ends. */
export async function createTestDatabase (t: Test): Promise<string> {
  await dropOrphans()
  const name = `${testDatabasePrefix}${process.pid}_${randomBytes(6).toString('hex')}`
  await adminQuery(`create database ${name}`)
  t.teardown(() => adminQuery(`drop database if exists ${name} with (force)`).then(() => undefined))
  return postgresServerUrl(name)
}

/** DATABASE_URL for the apps and processes of this test, when the file runs on PostgreSQL. */
export async function databaseEnv (t: Test): Promise<Record<string, string>> {
  return testDialect() === 'postgres' ? { DATABASE_URL: await createTestDatabase(t) } : {}
}

/** Rows of a raw query on a module's database, whichever the dialect. */
export async function queryRows<Row = Record<string, unknown>> (database: ModuleDatabase, text: string): Promise<Row[]> {
  const query = sql.raw(text)
  if (database.dialect === 'postgres') return (await database.db.execute(query) as unknown as { rows: Row[] }).rows
  return (database.db as unknown as { all (query: unknown): Promise<Row[]> }).all(query)
}

/** A raw write on a module's database, in a transaction. */
export async function execute (database: ModuleDatabase, text: string): Promise<void> {
  const query = sql.raw(text)
  await database.atomically(async (tx) => {
    if (database.dialect === 'postgres') await tx.execute(query)
    else await (tx as unknown as { run (query: unknown): Promise<unknown> }).run(query)
  })
}
