import t, { type Test } from 'tap'
import type { IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadConfig } from '../../../src/platform/config/config.js'
import { buildGateway } from '../../../src/platform/app/build-gateway.js'
import { logLine, startProcess, type LogLine, type RunningProcess } from '../../helpers/process.js'
import { rawExchange } from '../../helpers/raw-http.js'
import { recordingServer } from '../../helpers/recording-server.js'
import { resettingServer } from '../../helpers/resetting-server.js'
import { until } from '../../helpers/until.js'
import { registry } from '../../helpers/modules.js'

// What the gateway takes from a client and passes on: request lines and headers written to a real
// socket, relayed to a module instance that records exactly what reached it.

/** hello's instance: records each request's headers and answers `relayed`, with a proxy challenge. */
async function upstream (t: Test) {
  const headers: IncomingHttpHeaders[] = []
  const server = await recordingServer(t, (request, response) => {
    headers.push(request.headers)
    response.setHeader('proxy-authenticate', 'Basic realm="upstream"')
    response.setHeader('content-type', 'text/plain')
    response.end('relayed')
  })
  return { ...server, headers }
}

async function startGateway (t: Test, env: Record<string, string>): Promise<number> {
  const gateway = await buildGateway(loadConfig({ LOG_LEVEL: 'silent', HEALTH_CHECK_INTERVAL_MS: '0', ...env }, registry), registry, { modules: ['hello'] })
  t.teardown(() => gateway.close())
  await gateway.listen({ port: 0, host: '127.0.0.1' })
  return (gateway.server.address() as AddressInfo).port
}

async function exchange (t: Test, port: number, lines: string[]) {
  return rawExchange(t, port, `${[...lines, 'Connection: close'].join('\r\n')}\r\n\r\n`).closed
}

const clientForwarding = [
  'X-Forwarded-For: 203.0.113.7',
  'X-Forwarded-Host: public.example',
  'X-Forwarded-Proto: https',
  'X-Forwarded-Port: 443',
  'Forwarded: for=203.0.113.7;proto=https',
  'X-Real-IP: 203.0.113.7'
]

const forwardingOf = (headers: IncomingHttpHeaders) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => name === 'forwarded' || name === 'x-real-ip' || name.startsWith('x-forwarded-')))

t.test('an absolute-form request line is relayed by its path, its authority as the forwarded host', async (t) => {
  const hello = await upstream(t)
  const port = await startGateway(t, { SERVICE_HELLO_URL: hello.url })
  const answer = await exchange(t, port, ['GET http://evil.example/service?greeting=1 HTTP/1.1', 'Host: cleave.example'])
  t.equal(answer.status, 200, 'routed, not a 500')
  t.match(answer.body, /relayed/)
  t.same(hello.requests, ['GET /service?greeting=1'], 'the instance got the origin form')
  t.equal(hello.headers[0].host, new URL(hello.url).host)
  t.equal(hello.headers[0]['x-forwarded-host'], 'evil.example', 'RFC 9112 §3.2.2: the authority replaces the Host')
})

t.test('the gateway sets X-Forwarded-* itself and drops the client\'s forwarding headers', async (t) => {
  const hello = await upstream(t)
  const port = await startGateway(t, { SERVICE_HELLO_URL: hello.url })
  t.equal((await exchange(t, port, ['GET /service HTTP/1.1', 'Host: cleave.example:8080', ...clientForwarding])).status, 200)
  const [seen] = hello.headers
  t.equal(seen['x-forwarded-for'], '127.0.0.1', 'the address that connected, alone')
  t.equal(seen['x-forwarded-host'], 'cleave.example:8080', 'the Host the client sent')
  t.equal(seen['x-forwarded-proto'], 'http', 'the protocol the client spoke')
  for (const name of ['x-forwarded-port', 'forwarded', 'x-real-ip']) t.equal(seen[name], undefined, `no ${name}`)
})

t.test('with TRUST_PROXY the client\'s forwarding headers are kept, its address added', async (t) => {
  const hello = await upstream(t)
  const port = await startGateway(t, { SERVICE_HELLO_URL: hello.url, TRUST_PROXY: 'true' })
  t.equal((await exchange(t, port, ['GET /service HTTP/1.1', 'Host: cleave.example', ...clientForwarding])).status, 200)
  t.same(forwardingOf(hello.headers[0]), {
    'x-forwarded-for': '203.0.113.7, 127.0.0.1',
    'x-forwarded-host': 'public.example',
    'x-forwarded-proto': 'https',
    'x-forwarded-port': '443',
    forwarded: 'for=203.0.113.7;proto=https',
    'x-real-ip': '203.0.113.7'
  })
  t.equal((await exchange(t, port, ['GET /service HTTP/1.1', 'Host: cleave.example'])).status, 200)
  t.same(forwardingOf(hello.headers[1]), { 'x-forwarded-for': '127.0.0.1', 'x-forwarded-host': 'cleave.example', 'x-forwarded-proto': 'http' }, 'set where the proxy sent none')
})

t.test('hop-by-hop headers go neither upstream nor back to the client', async (t) => {
  const hello = await upstream(t)
  const port = await startGateway(t, { SERVICE_HELLO_URL: hello.url })
  const answer = await exchange(t, port, [
    'GET /service HTTP/1.1',
    'Host: cleave.example',
    'Proxy-Authorization: Basic cHJveHk6c2VjcmV0',
    'Proxy-Connection: keep-alive',
    'Keep-Alive: timeout=5',
    'TE: trailers',
    'Trailer: x-checksum',
    'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA',
    'X-Hop: named in Connection',
    'Authorization: Bearer end-to-end',
    'X-End-To-End: kept',
    'Connection: X-Hop'
  ])
  t.equal(answer.status, 200)
  const [seen] = hello.headers
  for (const name of ['proxy-authorization', 'proxy-connection', 'keep-alive', 'te', 'trailer', 'http2-settings', 'x-hop']) {
    t.equal(seen[name], undefined, `no ${name} upstream`)
  }
  t.match(seen, { authorization: 'Bearer end-to-end', 'x-end-to-end': 'kept' }, 'end-to-end headers pass')
  t.equal(answer.headers['proxy-authenticate'], undefined, 'the instance\'s proxy challenge is not relayed')
})

t.test('a client that leaves mid-request is an info line, not a failure; a module that fails is still a warning', async (t) => {
  let answered = 0
  let cutShort = 0
  // hello answers 300 ms after a whole request; users breaks every connection.
  const hello = await recordingServer(t, (request, response) => {
    request.on('close', () => { if (!request.complete) cutShort++ })
    request.resume()
    request.on('end', () => setTimeout(() => { answered++; response.end('late') }, 300))
  })
  const users = await resettingServer(t)
  const gateway = await startProcess(t, 'gateway', { MODULES: 'hello,users', SERVICE_HELLO_URL: hello.url, SERVICE_USERS_URL: users.url, HEALTH_CHECK_INTERVAL_MS: '0' })
  const port = Number(new URL(gateway.url).port)
  const post = (id: string, body: string, length: number) =>
    `POST /service HTTP/1.1\r\nHost: cleave.example\r\nX-Request-Id: ${id}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n${body}`

  const midBody = rawExchange(t, port, post('gw-left-mid-body', '{"a":', 100))
  await until(() => hello.requests.length === 1, { what: 'the relay under way' })
  midBody.socket.destroy()
  await until(() => cutShort === 1, { what: 'the relayed request cut short' })

  const waiting = rawExchange(t, port, post('gw-left-waiting', '{}', 2))
  await until(() => hello.requests.length === 2, { what: 'the second relay under way' })
  waiting.socket.destroy()
  await until(() => answered === 1, { what: 'hello answering after the client left' })

  t.equal((await fetch(`${gateway.url}/users`, { headers: { 'x-request-id': 'gw-module-failed' } })).status, 503)
  // Lines are written in order: once this one is in, so is every line of the requests before it.
  await logLine(gateway, 'the access line of the failed request', (line) => line.reqId === 'gw-module-failed' && line.msg === 'request')

  for (const [id, complete] of [['gw-left-mid-body', false], ['gw-left-waiting', true]] as const) {
    const lines = linesOf(gateway, id)
    t.same(lines.filter((line) => Number(line.level) >= 40), [], `${id}: nothing at warn or error`)
    t.equal(lines.length, 1, `${id}: one line`)
    t.match(lines[0], { level: 30, msg: 'connection closed before the answer', module: 'hello', requestComplete: complete }, `${id}: at info`)
  }
  const failed = linesOf(gateway, 'gw-module-failed')
  t.ok(failed.some((line) => line.level === 40 && line.msg === 'upstream failed'), 'a module that broke the connection is logged at warn')
  t.notOk(failed.some((line) => Number(line.level) >= 50), 'and not at error')

  const health = await (await fetch(`${gateway.url}/health`)).json() as { dependencies: Record<string, { window: { failures: number } }> }
  t.equal(health.dependencies.hello.window.failures, 0, 'hello\'s breaker counted no failure for the clients that left')
})

function linesOf (process: RunningProcess, reqId: string): LogLine[] {
  return process.logs.filter((line) => line.reqId === reqId)
}
