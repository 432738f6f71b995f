import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { connect } from 'node:net'
import { loadConfig } from '../../../src/platform/config/config.js'
import { maxConnectionsFor } from '../../../src/platform/http/connections/connection-cap.js'
import { openFileLimit } from '../../../src/platform/http/connections/open-file-limit.js'
import { buildGateway } from '../../../src/platform/app/build-gateway.js'
import { buildTestApp, tempDir } from '../../helpers/app.js'
import { logLine, projectRoot, startProcess, type LogLine } from '../../helpers/process.js'
import { parseAnswer, rawExchange, type RawAnswer } from '../../helpers/raw-http.js'
import { until } from '../../helpers/until.js'
import { registry } from '../../helpers/modules.js'

const post = (url: string, headers: string) => `POST ${url} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}\r\n`
// 2^64 - 1: the largest size llhttp accepts (one more digit overflows and is a parse error).
const hugeChunk = post('/users', 'Transfer-Encoding: chunked\r\n') + 'FFFFFFFFFFFFFFFF\r\n'

function portOf (app: { server: { address (): unknown } }): number {
  return (app.server.address() as { port: number }).port
}

function assertProblem (t: Test, answer: RawAnswer, status: number, code: string, what: string) {
  t.equal(answer.status, status, `${what}: status`)
  t.match(answer.headers['content-type'], /^application\/problem\+json/, `${what}: problem+json`)
  t.match(JSON.parse(answer.body), { status, code, type: String, title: String }, `${what}: body`)
  t.notMatch(answer.body, /at .*\.(ts|js):\d+/, `${what}: no stack`)
}

// Bounded by the check, not by the clock: the server must close well before Node's own 60 s header deadline.
async function cutOff (exchange: ReturnType<typeof rawExchange>, what: string): Promise<RawAnswer> {
  await until(() => exchange.isClosed(), { what: `the server closing ${what}`, timeoutMs: 20_000 })
  return exchange.closed
}

async function slowClientsAreCut (t: Test, port: number) {
  const body = rawExchange(t, port, post('/users', 'Content-Length: 1000\r\n') + '{', { trickle: '"'.repeat(999) })
  const headers = rawExchange(t, port, '', { trickle: 'GET /health/live HTTP/1.1\r\nHost: x\r\n' + 'X-Slow: yes\r\n'.repeat(200) })
  const chunk = rawExchange(t, port, hugeChunk)
  assertProblem(t, await cutOff(body, 'a trickled body'), 408, 'CLV_REQUEST_TIMEOUT', 'a trickled body')
  t.ok(body.trickled() > 1, 'the body was still arriving: a deadline for the whole request, not an idle timeout')
  assertProblem(t, await cutOff(headers, 'trickled headers'), 408, 'CLV_REQUEST_TIMEOUT', 'trickled headers')
  assertProblem(t, await cutOff(chunk, 'a huge chunk that never comes'), 408, 'CLV_REQUEST_TIMEOUT', 'a declared 2^64-1 byte chunk that never comes')
}

t.test('a request not received within REQUEST_TIMEOUT_MS is answered 408 problem+json and its connection closed', async (t) => {
  t.equal(loadConfig({}, registry).REQUEST_TIMEOUT_MS, 30_000, 'the default, stated')
  const app = await buildTestApp(t, { modules: ['users'], env: { REQUEST_TIMEOUT_MS: '500' } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await slowClientsAreCut(t, portOf(app))
})

t.test('the gateway cuts slow clients too, while relaying their bodies', async (t) => {
  const users = await buildTestApp(t, { modules: ['users'] })
  await users.listen({ port: 0, host: '127.0.0.1' })
  const gateway = await buildGateway(loadConfig({ LOG_LEVEL: 'silent', REQUEST_TIMEOUT_MS: '500', SERVICE_USERS_URL: `http://127.0.0.1:${portOf(users)}` }, registry), registry, { modules: ['users'] })
  t.teardown(() => gateway.close())
  await gateway.listen({ port: 0, host: '127.0.0.1' })
  await slowClientsAreCut(t, portOf(gateway))
})

t.test('an impossible chunk size is refused as soon as the body passes the limit, and the connection closed', async (t) => {
  // A request timeout no test waits for: only the refusal can close these connections.
  const app = await buildTestApp(t, { modules: ['users'], env: { BODY_LIMIT_BYTES: '100', REQUEST_TIMEOUT_MS: '600000' } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = portOf(app)

  const over = rawExchange(t, port, hugeChunk + 'x'.repeat(101))
  assertProblem(t, await cutOff(over, 'a body past the limit'), 413, 'CLV_BODY_TOO_LARGE', 'a 2^64-1 byte chunk, 101 bytes sent')
  t.equal((await over.closed).headers.connection, 'close')

  // Answered before the body was read at all: the rest of a 2^64-1 byte body is not read and discarded.
  const unread = rawExchange(t, port, hugeChunk.replace('application/json', 'text/plain') + 'x'.repeat(10))
  assertProblem(t, await cutOff(unread, 'a body answered before it was read'), 415, 'CLV_UNSUPPORTED_MEDIA_TYPE', 'a 2^64-1 byte text body')
  t.equal((await unread.closed).headers.connection, 'close')

  const overflow = rawExchange(t, port, hugeChunk.replace('FFFF\r\n', 'FFFFF\r\n'))
  assertProblem(t, await cutOff(overflow, 'a chunk size over 64 bits'), 400, 'CLV_MALFORMED_REQUEST', 'a chunk size over 64 bits')

  const served = await app.inject({ method: 'POST', url: '/users', payload: { name: 'Ada', email: 'ada@example.com' } })
  t.equal(served.statusCode, 201, 'an ordinary body still passes')
})

// One keep-alive connection that asks for /health/live each time get() is called.
function keepAliveClient (t: Test, port: number) {
  const socket = connect(port, '127.0.0.1')
  socket.on('error', (error) => { t.fail(`the normal client's connection failed: ${error.message}`) })
  t.teardown(() => { socket.destroy() })
  return {
    async get (): Promise<number> {
      const chunks: Buffer[] = []
      const onData = (chunk: Buffer) => chunks.push(chunk)
      socket.on('data', onData)
      socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n')
      const answer = await until(() => {
        const parsed = parseAnswer(Buffer.concat(chunks))
        return Buffer.byteLength(parsed.body) >= Number(parsed.headers['content-length'] ?? Infinity) && parsed
      }, { what: 'an answer on the kept-alive connection' })
      socket.off('data', onData)
      return answer.status
    }
  }
}

async function freshGet (t: Test, port: number): Promise<RawAnswer> {
  return rawExchange(t, port, 'GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n').closed
}

t.test('slow clients beyond MAX_CONNECTIONS are dropped with a warning, and normal clients are served again once they are cut', async (t) => {
  const server = await startProcess(t, 'server', { MODULES: 'hello', DATA_DIR: tempDir(t), MAX_CONNECTIONS: '20', REQUEST_TIMEOUT_MS: '3000' })
  const port = Number(new URL(server.url).port)
  t.ok(await logLine(server, 'the cap', (line) => line.maxConnections === 20 && /accepting at most 20 connections/.test(String(line.msg))), 'the cap is stated at start-up')

  const normal = keepAliveClient(t, port)
  t.equal(await normal.get(), 200, 'a normal client, connected before the flood')

  // Twenty slow bodies fill the cap (with the normal client, one more than it holds); ten more arrive.
  const slow = Array.from({ length: 20 }, () => rawExchange(t, port, post('/hello', 'Content-Length: 1000\r\n') + '{'))
  const extra = Array.from({ length: 10 }, () => rawExchange(t, port, post('/hello', 'Content-Length: 1000\r\n') + '{'))
  const extraAnswers = await Promise.all(extra.map((exchange) => exchange.closed))
  t.ok(extraAnswers.every((answer) => answer.received === 0), 'connections beyond the cap are dropped unanswered')
  t.equal(await normal.get(), 200, 'the connected normal client is still served meanwhile')

  const slowAnswers = await Promise.all(slow.map((exchange) => exchange.closed))
  const cut = slowAnswers.filter((answer) => answer.received > 0)
  // The normal client holds one place, and so may the kept-alive connection startProcess probed with.
  t.ok(cut.length >= 18, `the slow clients the cap let in were cut by the request timeout (${cut.length})`)
  for (const answer of cut) assertProblem(t, answer, 408, 'CLV_REQUEST_TIMEOUT', 'a slow client at the cap')

  const fresh = await freshGet(t, port)
  t.equal(fresh.status, 200, 'a new normal client is served once the slow ones are cut')

  const dropped = [...slowAnswers, ...extraAnswers].filter((answer) => answer.received === 0).length
  const warnings = (): LogLine[] => server.logs.filter((line) => line.level === 40 && /connection limit reached/.test(String(line.msg)))
  const reported = () => warnings().reduce((sum, line) => sum + Number(line.dropped), 0)
  await until(() => reported() === dropped, { what: `warnings accounting for all ${dropped} dropped connections`, timeoutMs: 30_000 })
  t.match(warnings()[0], { maxConnections: 20, dropped: 1 }, 'the first drop is reported at once, with the cap')
  t.ok(warnings().length < dropped, `${dropped} drops, ${warnings().length} warnings: rate-limited`)
})

t.test('MAX_CONNECTIONS defaults to half the open-file limit, or 1000 where it cannot be read', async (t) => {
  t.equal(maxConnectionsFor({ MAX_CONNECTIONS: 7 }, 1024), 7, 'a setting wins')
  t.equal(maxConnectionsFor({}, undefined), 1000)
  t.equal(openFileLimit('Max open files            unlimited            unlimited            files'), undefined)
  t.equal(openFileLimit(''), undefined, 'not Linux: nothing to read')
  t.throws(() => loadConfig({ MAX_CONNECTIONS: '0' }, registry), /MAX_CONNECTIONS: expected an integer from 1/)

  // A real process under a real limit: Node raises its soft limit to the hard one, read from /proc.
  const script = 'const { maxConnectionsFor } = await import(\'./src/platform/http/connections/connection-cap.ts\'); const { openFileLimit } = await import(\'./src/platform/http/connections/open-file-limit.ts\'); console.log(maxConnectionsFor({}, openFileLimit()))'
  const child = spawn('sh', ['-c', `ulimit -n 256 && exec "${process.execPath}" --import tsx --input-type=module -e "${script}"`], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  child.stdout.on('data', (chunk) => { output += chunk })
  await once(child, 'close')
  t.equal(output.trim(), '128', 'half of 256')
})

t.test('through the gateway, an impossible chunk size is refused by the service and both connections closed', async (t) => {
  const users = await buildTestApp(t, { modules: ['users'], env: { BODY_LIMIT_BYTES: '100', REQUEST_TIMEOUT_MS: '600000' } })
  await users.listen({ port: 0, host: '127.0.0.1' })
  const gateway = await buildGateway(loadConfig({ LOG_LEVEL: 'silent', BODY_LIMIT_BYTES: '100', REQUEST_TIMEOUT_MS: '600000', SERVICE_USERS_URL: `http://127.0.0.1:${portOf(users)}` }, registry), registry, { modules: ['users'] })
  t.teardown(() => gateway.close())
  await gateway.listen({ port: 0, host: '127.0.0.1' })
  const over = rawExchange(t, portOf(gateway), hugeChunk + 'x'.repeat(101))
  assertProblem(t, await cutOff(over, 'a body past the limit, relayed'), 413, 'CLV_BODY_TOO_LARGE', 'a 2^64-1 byte chunk through the gateway')
})
