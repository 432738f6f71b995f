// What db:move checks on a module's SQLite file before it copies anything: that no process has
// the file open (a server still writing would add rows after the copy's snapshot, left behind),
// and that every row fits PostgreSQL, which refuses what SQLite keeps: a NUL or bytes that are not
// UTF-8 in text, a REAL or text in an INTEGER column.
import { isUtf8 } from 'node:buffer'
import Database from 'better-sqlite3'
import { getTableColumns, getTableName } from 'drizzle-orm'
import type { PgTable } from 'drizzle-orm/pg-core'

/** Offending rows listed per column, at most. */
const listed = 10

/**
 * True when another process has the file open. Every connection to a WAL database holds a shared
 * lock on it for as long as it is open, so an exclusive one is refused while any other exists.
 */
export function openElsewhere (file: string): boolean {
  const probe = new Database(file, { fileMustExist: true })
  try {
    probe.pragma('busy_timeout = 200')
    probe.pragma('locking_mode = EXCLUSIVE')
    probe.exec('BEGIN EXCLUSIVE')
    probe.exec('COMMIT')
    return false
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) return true
    throw error
  } finally {
    probe.close()
  }
}

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`

/** Each column holding rows PostgreSQL would refuse or change: `table.column: ids` (no values). */
export function rowsThatDoNotFit (file: string, tables: Record<string, PgTable>): string[] {
  const reader = new Database(file, { readonly: true, fileMustExist: true })
  try {
    const found: string[] = []
    for (const table of Object.values(tables)) {
      const name = getTableName(table)
      const columns = Object.values(getTableColumns(table))
      const key = columns.some((column) => column.name === 'id') ? 'id' : 'rowid'
      for (const column of columns) {
        const offenders: unknown[] = []
        const where = `${name}.${column.name}`
        if (column.columnType.startsWith('PgBigInt') || column.columnType === 'PgInteger') {
          const rows = reader.prepare(`select ${key} as id from ${quoted(name)} where typeof(${quoted(column.name)}) not in ('integer', 'null') limit ${listed + 1}`).all() as Array<{ id: unknown }>
          offenders.push(...rows.map((row) => row.id))
          if (offenders.length > 0) found.push(`${where} (not an integer): ${ids(offenders)}`)
          continue
        }
        if (column.dataType !== 'string' && column.dataType !== 'json') continue
        // Read as bytes: SQLite returns text decoded, and bad UTF-8 would come back already replaced.
        const rows = reader.prepare(`select ${key} as id, cast(${quoted(column.name)} as blob) as raw from ${quoted(name)} where ${quoted(column.name)} is not null`).iterate() as Iterable<{ id: unknown, raw: Buffer }>
        for (const { id, raw } of rows) {
          if (raw.includes(0) || !isUtf8(raw)) offenders.push(id)
          if (offenders.length > listed) break
        }
        if (offenders.length > 0) found.push(`${where} (a NUL or bytes that are not UTF-8): ${ids(offenders)}`)
      }
    }
    return found
  } finally {
    reader.close()
  }
}

function ids (offenders: unknown[]): string {
  const shown = offenders.slice(0, listed).map(String).join(', ')
  return offenders.length > listed ? `${shown} and more` : shown
}
