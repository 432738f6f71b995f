import fp from 'fastify-plugin'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Config } from '../config/config.js'
import type { ModuleDatabase } from './database.js'
import { openSqlite } from './sqlite.js'
import type { Tables } from './table-kit.js'

export interface Databases {
  /**
   * The module's own database, migrated, with its tables in the dialect it is on: PostgreSQL
   * where the module has a URL, its SQLite file otherwise. Opened once, closed with the app.
   */
  open<T> (module: string, tables: Tables<T>): Promise<ModuleDatabase<T>>
  /** A database opened earlier in this app. */
  get (module: string): ModuleDatabase | undefined
}

declare module 'fastify' {
  interface FastifyInstance { databases: Databases }
}

/** PostgreSQL where the module has a URL, its SQLite file in DATA_DIR otherwise; migrated. */
export async function openModuleDatabase<T> (config: Config, module: string, tables: Tables<T>, log: FastifyBaseLogger): Promise<ModuleDatabase<T>> {
  const url = config.databaseUrls[module]
  if (!url) return openSqlite(config.DATA_DIR, module, tables.sqlite)
  // node-postgres and drizzle's driver for it are loaded only by a process that has a PostgreSQL module.
  const { openPostgres } = await import('./postgres.js')
  return openPostgres(module, tables.postgres, { url, poolMax: config.DATABASE_POOL_MAX, connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS, log })
}

async function databases (app: FastifyInstance) {
  const { config } = app
  const open = new Map<string, Promise<ModuleDatabase<unknown>>>()
  const opened = new Map<string, ModuleDatabase>()

  async function connect<T> (module: string, tables: Tables<T>): Promise<ModuleDatabase<T>> {
    const database = await openModuleDatabase(config, module, tables, app.log)
    opened.set(module, database as ModuleDatabase)
    app.health.addCheck(`${module}-db`, async () => {
      await database.ping().catch((error: Error) => { throw new Error(`${database.location} is unavailable: ${error.message}`) })
    })
    return database
  }

  app.decorate('databases', {
    open<T> (module: string, tables: Tables<T>) {
      let database = open.get(module)
      if (!database) open.set(module, database = connect(module, tables))
      return database as Promise<ModuleDatabase<T>>
    },
    get: (module) => opened.get(module)
  } satisfies Databases)

  app.addHook('onClose', async () => {
    await Promise.all([...opened.values()].map((database) => database.close()))
    opened.clear()
    open.clear()
  })
}

export default fp(databases, { name: 'databases', dependencies: ['config', 'health'] })
