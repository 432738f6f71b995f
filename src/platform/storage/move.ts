import { existsSync } from 'node:fs'
import { count, getTableColumns, getTableName, max, sql } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config/config.js'
import type { Db, ModuleDatabase } from './database.js'
import { openModuleDatabase } from './databases.js'
import { openElsewhere, rowsThatDoNotFit } from './move-checks.js'
import { databaseFile } from './sqlite.js'
import type { Tables } from './table-kit.js'

type TableSet = Record<string, PgTable>

/** The move did not happen and nothing was written in PostgreSQL; the message says why. */
export class MoveError extends Error {
  override name = 'MoveError'
}

export interface Move {
  source: string
  target: string
  /** Rows copied per table, in the order they were copied. */
  tables: Array<{ table: string, rows: number }>
}

/** PostgreSQL binds at most this many parameters in one statement. */
const maxParameters = 65_535

/**
 * Copies a module's SQLite file in DATA_DIR, every table of it, into its schema in the
 * PostgreSQL database at `url`. Both are opened and migrated as the server opens them.
 */
export async function moveToPostgres (config: Config, module: string, tables: Tables<TableSet>, url: string, options: { batchRows: number, log: FastifyBaseLogger }): Promise<Move> {
  const file = databaseFile(config.DATA_DIR, module)
  // Opening would create an empty one, and an empty move looks like a successful one.
  if (!existsSync(file)) throw new MoveError(`${module} has no SQLite file at ${file} (is DATA_DIR the server's?)`)
  if (openElsewhere(file)) throw new MoveError(`${file} is open in another process, a server or worker running ${module}: stop it (SIGTERM lets it finish its requests), then run db:move again; nothing was written`)
  const source = await openModuleDatabase({ ...config, databaseUrls: {} }, module, tables, options.log)
  try {
    // After opening: the file is migrated, so every table the checks read exists.
    const unfit = rowsThatDoNotFit(file, tables.postgres)
    if (unfit.length > 0) throw new MoveError(`rows PostgreSQL would refuse or change, by table.column and id (correct or delete them, then move again; nothing was written): ${unfit.join('; ')}`)
    const target = await openModuleDatabase({ ...config, databaseUrls: { [module]: url } }, module, tables, options.log)
    try {
      return { source: source.location, target: target.location, tables: await copyModule(source, target, options.batchRows) }
    } finally {
      await target.close()
    }
  } finally {
    await source.close()
  }
}

// The source is read inside SQLite's write lock: one consistent snapshot, and a server started
// meanwhile waits rather than adding rows the copy would miss (one already running was refused
// before: move-checks.ts). PostgreSQL
// gets everything in one transaction, its tables locked against a second move, so a refusal
// or a failed check leaves it as it was.
async function copyModule (source: ModuleDatabase<TableSet>, target: ModuleDatabase<TableSet>, batchRows: number) {
  const order = insertOrder(target.tables)
  return source.atomically((from) => target.atomically(async (to) => {
    await to.execute(sql`lock table ${sql.join(order.map((key) => target.tables[key]), sql`, `)} in exclusive mode`)
    await refuseRows(to, target, order)
    const moved = []
    for (const key of order) {
      const rows = await copyTable(from, to, source.tables[key], target.tables[key], batchRows)
      await continueIdentity(from, to, target.tables[key])
      moved.push({ table: getTableName(target.tables[key]), rows })
    }
    await checkCounts(from, to, source.tables, target.tables, order)
    return moved
  }))
}

// Parents before children, so every foreign key finds its row (drizzle's are not deferrable).
function insertOrder (tables: TableSet): string[] {
  const keyOf = new Map(Object.entries(tables).map(([key, table]) => [table as PgTable, key]))
  const order: string[] = []
  const visiting = new Set<string>()
  function visit (key: string) {
    if (order.includes(key)) return
    if (visiting.has(key)) throw new MoveError(`the foreign keys of ${getTableName(tables[key])} form a cycle: no order copies it`)
    visiting.add(key)
    for (const foreignKey of getTableConfig(tables[key]).foreignKeys) {
      const parent = keyOf.get(foreignKey.reference().foreignTable)
      if (parent !== undefined && parent !== key) visit(parent)
    }
    order.push(key)
  }
  for (const key of Object.keys(tables)) visit(key)
  return order
}

async function refuseRows (to: Db, target: ModuleDatabase<TableSet>, order: string[]) {
  const held = []
  for (const key of order) {
    const [{ rows }] = await to.select({ rows: count() }).from(target.tables[key])
    if (rows > 0) held.push(`${getTableName(target.tables[key])}: ${rows}`)
  }
  if (held.length > 0) throw new MoveError(`${target.location} already holds rows (${held.join(', ')}): a move only fills an empty schema; nothing was written`)
}

// In rowid order, a batch at a time (keyset, so each read is one index seek however far in).
// Rows go through drizzle's tables on both sides, so each column is decoded as SQLite's and
// encoded as PostgreSQL's (JSON parsed from text and written as json, integers as bigint).
async function copyTable (from: Db, to: Db, source: PgTable, target: PgTable, batchRows: number): Promise<number> {
  const columns = getTableColumns(source)
  const limit = Math.max(1, Math.min(batchRows, Math.floor(maxParameters / Object.keys(columns).length)))
  let copied = 0
  for (let after: number | undefined; ;) {
    const batch = await from.select({ rowid: sql<number>`rowid`, row: columns }).from(source)
      .where(after === undefined ? undefined : sql`rowid > ${after}`).orderBy(sql`rowid`).limit(limit)
    if (batch.length === 0) return copied
    await to.insert(target).values(batch.map(({ row }) => row))
    copied += batch.length
    after = batch.at(-1)!.rowid
  }
}

// SQLite's AUTOINCREMENT never gives an id twice, not even the highest one after its row was
// deleted (sqlite_sequence keeps it): the identity goes on past that, not only past the rows left.
async function continueIdentity (from: Db, to: Db, target: PgTable) {
  const name = getTableName(target)
  for (const column of Object.values(getTableColumns(target)).filter((candidate) => candidate.generatedIdentity)) {
    const [{ highest }] = await to.select({ highest: max(column) }).from(target)
    const sequence = await (from as unknown as BetterSQLite3Database).get<{ seq: number } | undefined>(sql`select seq from sqlite_sequence where name = ${name}`)
    const last = Math.max(Number(highest ?? 0), sequence?.seq ?? 0)
    // The table name is parsed as SQL (schema-qualified, folded to lower case): quoted; the column's is not.
    if (last > 0) await to.execute(sql`select setval(pg_get_serial_sequence(${`"${name.replaceAll('"', '""')}"`}, ${column.name}), ${last})`)
  }
}

async function checkCounts (from: Db, to: Db, sources: TableSet, targets: TableSet, order: string[]) {
  const wrong = []
  for (const key of order) {
    const [{ rows: expected }] = await from.select({ rows: count() }).from(sources[key])
    const [{ rows: found }] = await to.select({ rows: count() }).from(targets[key])
    if (found !== expected) wrong.push(`${getTableName(targets[key])}: ${expected} in SQLite, ${found} in PostgreSQL`)
  }
  if (wrong.length > 0) throw new MoveError(`the copy does not match its source (${wrong.join('; ')}): rolled back, nothing was written`)
}
