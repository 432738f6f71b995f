// The one query every peer serves, on the SQLite file Cleave seeded: the bench's floor's query.
import Database from 'better-sqlite3'
import { join } from 'node:path'

export function openUsers (dataDir) {
  const db = new Database(join(dataDir, 'users.sqlite'), { readonly: true })
  const byId = db.prepare('select id, name, email, created_at from users where id = ?')
  return {
    byId (id) {
      const row = byId.get(id)
      return row && { id: row.id, name: row.name, email: row.email, createdAt: row.created_at }
    },
    close: () => db.close()
  }
}

export const listenOptions = () => ({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' })
