import pino from 'pino'
import { loadModuleRegistry } from '../platform/contracts/module-registry.js'
import { loadConfigOrExit } from '../platform/app/serve.js'
import { hasMigrations } from '../platform/storage/migrations.js'
import { openModuleDatabase } from '../platform/storage/databases.js'

// Applies every mounted module's migrations to its database (SQLite file or PostgreSQL schema),
// as a server starting would, under the same lock.
const config = loadConfigOrExit(await loadModuleRegistry())
const log = pino({ level: config.LOG_LEVEL })
for (const module of config.modules.filter(hasMigrations)) {
  const database = await openModuleDatabase(config, module, { sqlite: {}, postgres: {} }, log).catch((error: Error) => {
    console.error(error.message)
    process.exit(1)
  })
  await database.close()
  console.log(`${module}: migrated (${database.location})`)
}
