import t from 'tap'
import { ConfigError, loadConfig } from '../../../src/platform/config/config.js'
import { reachOf, unreachable } from '../../../src/platform/config/reachability.js'
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

t.test('a process that cannot reach a module its modules call, or the publisher of events they handle, is refused', async (t) => {
  const problems = (env: NodeJS.ProcessEnv) => {
    return unreachable(registry, reachOf(loadConfig(env, registry)))
  }
  t.same(problems({ MODULES: 'orders' }), ['SERVICE_USERS_URL: orders calls users, which this process does not mount: set SERVICE_USERS_URL (or DISCOVERY=redis), or add users to MODULES'])
  t.same(problems({ MODULES: 'orders', SERVICE_USERS_URL: 'http://127.0.0.1:3001' }), [], 'a URL for it')
  t.same(problems({ MODULES: 'orders', DISCOVERY: 'redis', REDIS_URL: 'redis://127.0.0.1:6379' }), [], 'discovery finds it')
  t.same(problems({ MODULES: 'orders,users' }), [], 'mounted here')
  t.same(problems({ MODULES: 'proxy' }), ['SERVICE_HELLO_URL: proxy calls hello, which this process does not mount: set SERVICE_HELLO_URL (or DISCOVERY=redis), or add hello to MODULES'])
  t.same(problems({ MODULES: 'notifications' }), [
    'REDIS_URL: notifications handles order.placed, user.created, published by orders, users, which this process does not mount: set REDIS_URL, or add orders or users to MODULES'
  ], 'events from modules elsewhere come through Redis')
  t.same(problems({ MODULES: 'notifications,users' }), [], 'some of them are published here')
  t.same(problems({ MODULES: 'notifications', AMQP_URL: 'amqp://127.0.0.1:5672' }), [], 'some come from RabbitMQ')
  t.same(problems({ MODULES: 'notifications', REDIS_URL: 'redis://127.0.0.1:6379' }), [])
  t.same(problems({ MODULES: 'notifications,users,orders', SERVICE_SHIPPING_URL: 'http://127.0.0.1:3009' }), ['AMQP_URL: notifications handles order.shipped, published by shipping, which runs outside Cleave and publishes to RabbitMQ: set AMQP_URL'], 'an external publisher the deployment includes')
  t.same(problems({}), [], 'everything in one process needs nothing more')
})

t.test('the module registry refuses a call to no module, and an event published twice', async (t) => {
  const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { tmpdir } = await import('node:os')
  const { loadModuleRegistry } = await import('../../../src/platform/contracts/module-registry.js')
  const define = (module: string, extra: string) => `import { defineContract } from '${new URL('../../../src/platform/contracts/define-contract.ts', import.meta.url).href}'\nexport const contract = defineContract({ module: '${module}', routes: {}, errors: {}, ${extra.includes('calls') ? '' : 'calls: [], '}${extra} })\n`
  const tree = (modules: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'cleave-registry-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }')
    for (const [module, extra] of Object.entries(modules)) {
      mkdirSync(join(dir, module))
      writeFileSync(join(dir, module, 'contract.ts'), define(module, extra))
      writeFileSync(join(dir, module, 'index.ts'), 'export default async function () {}\n')
    }
    return dir
  }
  await t.rejects(loadModuleRegistry(tree({ a: "calls: ['nope']" })), /a: its contract declares calls to "nope", which is no module/)
  await t.rejects(loadModuleRegistry(tree({ a: "calls: ['a']" })), /calls to "a", itself/)
  const twice = "events: { publishes: { 'x.done': { type: 'object' } } }"
  await t.rejects(loadModuleRegistry(tree({ a: twice, b: twice })), /event x\.done is published by both a and b/)
  await t.rejects(loadModuleRegistry(tree({ a: 'calls: undefined' })), /a: its contract declares no calls \(calls: \[\] when it calls no module\)/)
  t.same((await loadModuleRegistry(tree({ a: "calls: ['b']", b: '' }))).calls, { a: ['b'] })
})
