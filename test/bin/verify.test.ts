import t from 'tap'
import { moduleRegistry } from '../../src/platform/contracts/module-registry.js'
import { verifyModule } from '../../src/platform/contracts/verify/verify-module.js'
import { tempDir } from '../helpers/app.js'
import { runToEnd, startProcess } from '../helpers/process.js'

// The Cleave implementation of every module is the reference: verify must find nothing wrong with
// it. (test/topology/flask-hello.test.ts shows it finding what a broken implementation gets wrong.)
const server = await startProcess(t, 'server', { MODULES: 'all', DATA_DIR: tempDir(t), LOG_LEVEL: 'warn' })

t.test('every Cleave module keeps its contract, by verify\'s requests', async (t) => {
  t.ok(moduleRegistry.names.length >= 6, 'every module is checked')
  for (const module of moduleRegistry.names) {
    const { operations, requests, violations } = await verifyModule(moduleRegistry.contracts.get(module)!, server.url)
    t.same(violations, [], `${module}: ${operations} operations, ${requests} requests`)
    t.ok(requests > operations, `${module}: refused requests were sent as well as valid ones`)
  }
})

t.test('npm run verify prints a summary and exits 0 on a module that keeps its contract', async (t) => {
  const { code, stdout, stderr } = await runToEnd('verify', {}, ['users', server.url])
  t.equal(code, 0, stderr)
  t.match(stdout, /^users at http:\/\/127\.0\.0\.1:\d+\/: 5 operations, \d+ requests, every answer keeps the contract$/m)
})

t.test('npm run verify names what is missing', async (t) => {
  const unknown = await runToEnd('verify', {}, ['nosuch', server.url])
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, /unknown module "nosuch" \(known: .*hello.*shipping/)
  const { SERVICE_SHIPPING_URL: _unset, ...env } = process.env
  const noUrl = await runToEnd('verify', { ...env, SERVICE_SHIPPING_URL: '' }, ['shipping'])
  t.equal(noUrl.code, 1)
  t.match(noUrl.stderr, /no base URL: pass one, or set SERVICE_SHIPPING_URL/)
})

t.test('a password in the base URL is never printed', async (t) => {
  const { code, stdout, stderr } = await runToEnd('verify', {}, ['hello', server.url.replace('http://', 'http://admin:s3cret-pass@')])
  t.equal(code, 0, 'sent as HTTP Basic, which hello ignores')
  t.match(stdout, /^hello at http:\/\/admin:\*\*\*@127\.0\.0\.1:\d+\/: /m)
  t.notMatch(stdout + stderr, /s3cret-pass/)
})
