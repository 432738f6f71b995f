// npm run db:move -- <module> <postgres-url> [--batch <rows>]: copies a stopped module's SQLite
// file in DATA_DIR into its schema in PostgreSQL, then it starts with <MODULE>_DATABASE_URL.
// Exits 1 with one line, and nothing written in PostgreSQL, when it cannot.
import { parseArgs } from 'node:util'
import pino from 'pino'
import { loadConfigOrExit } from '../platform/app/serve.js'
import { databaseUrlKey } from '../platform/config/module-keys.js'
import { urlSettingProblem } from '../platform/config/url-settings.js'
import { messageWithoutValues } from '../platform/observability/error-serializer.js'
import { loadModuleRegistry } from '../platform/contracts/module-registry.js'
import { DatabaseConnectError } from '../platform/storage/errors.js'
import { loadModuleTables } from '../platform/storage/module-tables.js'
import { MoveError, moveToPostgres } from '../platform/storage/move.js'

const usage = 'usage: npm run db:move -- <module> <postgres-url> [--batch <rows>]'

function fail (message: string): never {
  console.error(`db:move: ${message}`)
  process.exit(1)
}

function readArgs () {
  try {
    return parseArgs({ options: { batch: { type: 'string', default: '1000' } }, allowPositionals: true })
  } catch (error) {
    fail(`${(error as Error).message}\n${usage}`)
  }
}

const { positionals: [module, url, ...extra], values } = readArgs()
if (module === undefined || url === undefined || extra.length > 0) fail(usage)
const batchRows = Number(values.batch)
if (!Number.isSafeInteger(batchRows) || batchRows < 1) fail(`--batch: expected a whole number of rows, 1 or more, got ${JSON.stringify(values.batch)}`)
// The URL is not echoed: it may hold a password.
// Checked as DATABASE_URL is: as node-postgres would read it.
if (urlSettingProblem('the target', [url], 'postgres') !== undefined) fail('the target must be a postgres:// or postgresql:// URL with a host (not shown)')
const registry = await loadModuleRegistry()
const config = loadConfigOrExit(registry)
if (!registry.names.includes(module)) fail(`unknown module "${module}" (available: ${registry.names.join(', ')})`)
const found = await loadModuleTables(module)
if (!found) fail(`${module} keeps no data: nothing to move`)

// Logs (a connection retried) go to stderr; stdout is the report.
const log = pino({ level: config.LOG_LEVEL }, pino.destination(2))
try {
  const move = await moveToPostgres(config, module, found.tables, url, { batchRows, log })
  console.log(`${module}: moved from ${move.source} to ${move.target}`)
  for (const { table, rows } of move.tables) console.log(`  ${table}: ${rows} ${rows === 1 ? 'row' : 'rows'}`)
  console.log(`start ${module} with ${databaseUrlKey(module)} set to this database`)
} catch (error) {
  // One line, never a stack nor a query's values.
  fail(error instanceof MoveError || error instanceof DatabaseConnectError ? error.message : `${messageWithoutValues(error).replaceAll('\n', ' ')}; nothing was written`)
}
