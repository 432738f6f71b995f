import { loadConfigOrExit } from '../platform/app/serve.js'
import { hasMigrations, openSqlite } from '../platform/storage/sqlite.js'

const config = loadConfigOrExit()
for (const module of config.modules.filter(hasMigrations)) {
  openSqlite(config.DATA_DIR, module).$client.close()
  console.log(`${module}: migrated`)
}
