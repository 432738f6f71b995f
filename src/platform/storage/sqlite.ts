import Database from 'better-sqlite3'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import { readMigrationFiles } from 'drizzle-orm/migrator'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createCommitCallbacks, runAll } from './commit-callbacks.js'
import type { Db, ModuleDatabase } from './database.js'
import { migrationsOf } from './migrations.js'

export function databaseFile (dataDir: string, module: string): string {
  return join(dataDir, `${module}.sqlite`)
}

/** Compiled statements kept per connection; past this, the least recently used is dropped. */
const statementCacheSize = 256

// An awaited drizzle builder has SQLite compile its SQL again on every run (better-sqlite3's
// prepare); the same text always compiles to the same statement, so each connection keeps them. Safe because drizzle runs a statement to completion at once (all, get, run; never
// iterate). Drizzle switches a statement to raw (array) rows for its own mapping and never back:
// one handed out again starts in the default mode, as a fresh one would.
function cacheStatements (client: Database.Database): void {
  const prepare = client.prepare.bind(client)
  const cache = new Map<string, Database.Statement>()
  client.prepare = ((source: string) => {
    let statement = cache.get(source)
    if (statement) {
      cache.delete(source)
      if (statement.reader) statement.raw(false)
    } else {
      statement = prepare(source)
      if (cache.size >= statementCacheSize) cache.delete(cache.keys().next().value!)
    }
    cache.set(source, statement)
    return statement
  }) as typeof client.prepare
}

// WAL lets readers run beside the writer; the busy timeout covers a second process on the same file.
function connect (file: string): Database.Database {
  const client = new Database(file)
  cacheStatements(client)
  client.pragma('journal_mode = WAL')
  client.pragma('synchronous = NORMAL')
  client.pragma('foreign_keys = ON')
  client.pragma('busy_timeout = 5000')
  return client
}

// Drizzle's SQLite migrator reads what was applied before it takes the write lock, so processes
// started together on one file each apply the first migration and all but one fail ("table
// already exists"). Here the lock comes first (BEGIN IMMEDIATE), then the read: the others wait
// for it, then find everything applied. Same table and rows as drizzle's, so files it migrated carry on.
function migrate (client: Database.Database, module: string): void {
  const migrations = readMigrationFiles({ migrationsFolder: migrationsOf(module, 'sqlite') })
  client.exec('BEGIN IMMEDIATE')
  try {
    client.exec('create table if not exists __drizzle_migrations (id integer primary key, hash text not null, created_at numeric)')
    const last = client.prepare('select created_at from __drizzle_migrations order by created_at desc limit 1').get() as { created_at: number } | undefined
    for (const migration of migrations) {
      if (last && Number(last.created_at) >= migration.folderMillis) continue
      for (const statement of migration.sql) if (statement.trim()) client.exec(statement)
      client.prepare('insert into __drizzle_migrations (hash, created_at) values (?, ?)').run(migration.hash, migration.folderMillis)
    }
    client.exec('COMMIT')
  } catch (error) {
    client.exec('ROLLBACK')
    throw error
  }
}

// better-sqlite3's transactions are synchronous: given an async callback, drizzle's commits
// before the work has run and never rolls back (drizzle-orm#1472). So transactions are taken by
// hand on a connection of their own, one at a time (a queue in this process, SQLite's write lock
// across processes); reads go to a second, query-only connection and so never see a transaction
// still open. A write outside `atomically` hits that connection and fails rather than slipping in.
export function openSqlite<T> (dataDir: string, module: string, tables: T): ModuleDatabase<T> {
  mkdirSync(dataDir, { recursive: true })
  const file = databaseFile(dataDir, module)
  const writer = connect(file)
  migrate(writer, module)
  const reader = connect(file)
  reader.pragma('query_only = 1')
  const writes = drizzle({ client: writer }) as unknown as Db
  const reads = drizzle({ client: reader }) as unknown as Db
  const commitCallbacks = createCommitCallbacks()
  let queue: Promise<unknown> = Promise.resolve()

  return {
    module,
    dialect: 'sqlite',
    tables,
    db: reads,
    location: `SQLite ${file}`,
    atomically (work) {
      const run = queue.then(async () => {
        writer.exec('BEGIN IMMEDIATE')
        let outcome
        try {
          outcome = await commitCallbacks.collect(writes, () => work(writes))
          writer.exec('COMMIT')
        } catch (error) {
          if (writer.inTransaction) writer.exec('ROLLBACK')
          throw error
        }
        runAll(outcome[1])
        return outcome[0]
      })
      queue = run.catch(() => {})
      return run
    },
    // Every transaction runs on the writer's connection, so the statement is compiled there once.
    prepareWrite (name, build) {
      const statement = build(writes).prepare(name)
      return async (tx, values) => {
        if (tx !== writes) throw new Error(`${name} is a write: run it with the tx of an atomically() transaction`)
        return statement.execute(values)
      }
    },
    afterCommit: commitCallbacks.add,
    async ping () {
      reader.prepare('select 1').get()
    },
    async close () {
      await queue
      reader.close()
      writer.close()
    }
  }
}
