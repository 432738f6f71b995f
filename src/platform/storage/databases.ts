import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { openSqlite, type Db } from './sqlite.js'

export interface Databases {
  /** The module's own SQLite database, migrated; closed with the app. */
  open (module: string): Db
}

declare module 'fastify' {
  interface FastifyInstance { databases: Databases }
}

async function databases (app: FastifyInstance) {
  const open = new Map<string, Db>()

  app.decorate('databases', {
    open (module) {
      const existing = open.get(module)
      if (existing) return existing
      const db = openSqlite(app.config.DATA_DIR, module)
      open.set(module, db)
      app.health.addCheck(`${module}-db`, () => { db.$client.prepare('select 1').get() })
      return db
    }
  } satisfies Databases)

  app.addHook('onClose', async () => {
    for (const db of open.values()) db.$client.close()
    open.clear()
  })
}

export default fp(databases, { name: 'databases', dependencies: ['config', 'health'] })
