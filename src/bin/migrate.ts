import { ConfigError, loadConfig } from '../platform/config.js'
import { hasMigrations, openSqlite } from '../platform/sqlite.js'

try {
  const config = loadConfig()
  for (const module of config.modules.filter(hasMigrations)) {
    openSqlite(config.DATA_DIR, module).$client.close()
    console.log(`${module}: migrated`)
  }
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  console.error(error.message)
  process.exit(1)
}
