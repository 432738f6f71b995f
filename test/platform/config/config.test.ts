import t from 'tap'
import { ConfigError, loadConfig } from '../../../src/platform/config/config.js'
import { registry } from '../../helpers/modules.js'

const available = ['hello', 'users']
const modules = { names: available, external: [] }

t.test('defaults give a working single-process setup', async (t) => {
  const config = loadConfig({}, modules)
  t.match(config, { PORT: 3000, HOST: '127.0.0.1', MODULES: 'all', DATA_DIR: './data', LOG_LEVEL: 'info' })
  t.same(config.modules, available)
})

t.test('values come from the environment and are converted', async (t) => {
  const config = loadConfig({ PORT: '8080', HOST: '0.0.0.0', MODULES: 'users', DATA_DIR: '/tmp/x', LOG_LEVEL: 'warn', UNRELATED: 'ignored' }, modules)
  t.match(config, { PORT: 8080, HOST: '0.0.0.0', DATA_DIR: '/tmp/x', LOG_LEVEL: 'warn' })
  t.same(config.modules, ['users'])
  t.same(loadConfig({ MODULES: 'users,hello,users' }, modules).modules, ['users', 'hello'], 'duplicates collapse')
})

t.test('every bad key is named in one error', async (t) => {
  const error = t.throws(() => loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', SHUTDOWN_TIMEOUT_MS: '-5', TRACING: 'yes' }, modules)) as ConfigError
  t.ok(error instanceof ConfigError)
  t.equal(error.problems.length, 4)
  t.match(error.message, /TRACING: expected true or false, got "yes"/)
  t.match(error.message, /PORT: expected an integer from 0 to 65535, got "eighty"/)
  t.match(error.message, /LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"/)
  t.match(error.message, /SHUTDOWN_TIMEOUT_MS: expected an integer from 0/)
})

t.test('an unknown module is a config error that lists the known ones', async (t) => {
  const error = t.throws(() => loadConfig({ MODULES: 'users,billing', PORT: '70000' }, modules)) as ConfigError
  t.equal(error.problems.length, 2)
  t.match(error.message, /MODULES: unknown module "billing" \(available: hello, users\)/)
  t.match(error.message, /PORT/)
  t.throws(() => loadConfig({ MODULES: 'users,,hello' }, modules), /MODULES: expected "all" or a comma list/)
})

t.test('the module list is the registry\'s, read from src/modules', async (t) => {
  const config = loadConfig({}, registry)
  t.ok(config.modules.includes('users') && config.modules.includes('hello'))
})
