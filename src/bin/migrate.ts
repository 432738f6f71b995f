import { loadConfigOrExit } from '../platform/serve.js'
import { hasMigrations, openSqlite } from '../platform/sqlite.js'

const config = loadConfigOrExit()
for (const module of config.modules.filter(hasMigrations)) {
  openSqlite(config.DATA_DIR, module).$client.close()
  console.log(`${module}: migrated`)
}
