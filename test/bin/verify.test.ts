import t from 'tap'
import { verifyModule } from '../../src/platform/contracts/verify/verify-module.js'
import { tempDir } from '../helpers/app.js'
import { runToEnd, startProcess } from '../helpers/process.js'
import { recordingServer } from '../helpers/recording-server.js'
import { registry } from '../helpers/modules.js'

// The Cleave implementation of every module is the reference: verify must find nothing wrong with
// it. (test/topology/flask-hello.test.ts shows it finding what a broken implementation gets wrong.)
const server = await startProcess(t, 'server', { MODULES: 'all', DATA_DIR: tempDir(t), LOG_LEVEL: 'warn' })

t.test('every Cleave module keeps its contract, by verify\'s requests', async (t) => {
  t.ok(registry.names.length >= 6, 'every module is checked')
  for (const module of registry.names) {
    const { operations, requests, violations, warnings } = await verifyModule(registry.contracts.get(module)!, server.url)
    t.same([...violations, ...warnings], [], `${module}: ${operations} operations, ${requests} requests`)
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

t.test('a server that never answers: each request gives up after --timeout, the run after --deadline', async (t) => {
  const silent = await recordingServer(t, () => {})
  const started = Date.now()
  const { code, stdout, stderr } = await runToEnd('verify', {}, ['users', silent.url, '--timeout', '300', '--deadline', '1500'])
  const took = Date.now() - started
  t.equal(code, 1)
  t.match(stdout, /answer: expected an answer within 300 ms, got none$/m)
  t.match(stdout, /^run: expected to finish within 1500 ms, \d+ requests not sent$/m)
  t.match(stderr, /users at .*: 5 operations, \d+ requests, \d+ violations of the contract/)
  t.ok(took < 10_000, `ended in ${took} ms, not 10 s a request`)
})

t.test('an answer larger than --max-bytes is a violation, read no further', async (t) => {
  // A hundred megabytes offered as a chunked stream, a megabyte at a time.
  const chunk = Buffer.alloc(1 << 20, 'x')
  const huge = await recordingServer(t, (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' })
    let sent = 0
    const more = () => {
      while (sent < 100 && response.write(chunk)) sent++
      if (sent >= 100) response.end()
      else response.once('drain', () => { sent++; more() })
    }
    more()
    response.on('close', () => { sent = 100 })
  })
  const { code, stdout } = await runToEnd('verify', {}, ['hello', huge.url])
  t.equal(code, 1)
  t.match(stdout, /^GET .*\/service answer: expected an answer of at most 1048576 bytes, got more$/m)
})

t.test('an answer that breaks only a Cleave convention is a warning; --strict makes it fail', async (t) => {
  // Answers every request 200 Hello, so the undeclared query parameter is not refused.
  const lenient = await recordingServer(t, (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
    response.end('Hello, Microservice!')
  })
  const relaxed = await runToEnd('verify', {}, ['hello', lenient.url])
  t.equal(relaxed.code, 0, relaxed.stderr)
  t.match(relaxed.stdout, /^warning \(a Cleave convention\): GET .*verifyUnknownField=1 \(unknown query parameter verifyUnknownField\) status: expected 400, got 200$/m)
  t.match(relaxed.stdout, /every answer keeps the contract, 1 warning$/m)
  const strict = await runToEnd('verify', {}, ['hello', lenient.url, '--strict'])
  t.equal(strict.code, 1)
  t.match(strict.stderr, /1 warning, failures with --strict/)
})
