import t, { type Test } from 'tap'
import { connect } from 'node:net'
import { once } from 'node:events'
import { loadConfig } from '../../../src/platform/config/config.js'
import { buildGateway } from '../../../src/platform/app/build-gateway.js'
import { buildTestApp } from '../../helpers/app.js'
import { registry } from '../../helpers/modules.js'

// Found by the fuzz test: requests refused before routing (by Node's HTTP parser or by Fastify's
// router) were answered in Fastify's own JSON shape instead of problem+json.

async function rawRequest (port: number, head: string): Promise<{ status: number, type: string, body: string }> {
  const socket = connect(port, '127.0.0.1')
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.end(Buffer.from(head, 'latin1'))
  await once(socket, 'close')
  const text = Buffer.concat(chunks).toString('utf8')
  const [headers, body] = text.split('\r\n\r\n')
  return { status: Number(headers.split(' ')[1]), type: /content-type: ([^\r]*)/i.exec(headers)?.[1] ?? '', body }
}

const cases: Array<[name: string, head: string, status: number, code: string]> = [
  ['an unknown method', 'FOO /users HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'CLV_MALFORMED_REQUEST'],
  ['raw non-ASCII bytes in the path', 'GET /users/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'CLV_MALFORMED_REQUEST'],
  ['a malformed chunked body', 'POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400, 'CLV_MALFORMED_REQUEST'],
  ['a bad percent-encoding in the path', 'GET /users/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400, 'CLV_BAD_URL'],
  ['a path parameter over maxParamLength', `GET /users/${'9'.repeat(150)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 414, 'CLV_PARAM_TOO_LONG'],
  // RFC 9112 §3.2: Node keeps the first of two Host lines, so they would pass unseen.
  ['two Host headers', 'GET /users HTTP/1.1\r\nHost: x\r\nHost: y\r\nConnection: close\r\n\r\n', 400, 'CLV_BAD_HOST'],
  ['the same Host twice', 'GET /users HTTP/1.1\r\nHost: x\r\nhost: x\r\nConnection: close\r\n\r\n', 400, 'CLV_BAD_HOST'],
  ['a Host with a space', 'GET /users HTTP/1.1\r\nHost: x y\r\nConnection: close\r\n\r\n', 400, 'CLV_BAD_HOST'],
  ['a Host with userinfo', 'GET /users HTTP/1.1\r\nHost: user@x\r\nConnection: close\r\n\r\n', 400, 'CLV_BAD_HOST'],
  ['a Host with a path', 'GET /users HTTP/1.1\r\nHost: x/users\r\nConnection: close\r\n\r\n', 400, 'CLV_BAD_HOST'],
  ['a Host with a port that is not a number', 'GET /users HTTP/1.1\r\nHost: x:80a\r\nConnection: close\r\n\r\n', 400, 'CLV_BAD_HOST'],
  ['an absolute-form target with userinfo', 'GET http://user@x/users HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400, 'CLV_BAD_HOST']
]

async function assertProblems (t: Test, port: number, only = cases) {
  for (const [name, head, status, code] of only) {
    const res = await rawRequest(port, head)
    t.equal(res.status, status, `${name}: status`)
    t.match(res.type, /^application\/problem\+json/, `${name}: problem+json`)
    t.match(JSON.parse(res.body), { status, code, title: String, type: String }, `${name}: body`)
  }
}

t.test('requests refused before routing are problem+json from the app', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'] })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await assertProblems(t, (app.server.address() as { port: number }).port)
})

t.test('a host of the form host[:port] is accepted; an absolute-form target is served by its path', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'] })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as { port: number }).port
  for (const host of ['cleave.example', 'cleave.example:8080', '127.0.0.1:3000', '[::1]:3000', 'xn--bcher-kva.example', 'under_score.example']) {
    t.equal((await rawRequest(port, `GET /users HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)).status, 200, host)
  }
  const listed = await rawRequest(port, 'GET http://evil.example/users?limit=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  t.equal(listed.status, 200, 'routed by its path, query string kept')
  const missing = await rawRequest(port, 'GET http://evil.example:8080/users/999999 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  const problem = JSON.parse(missing.body) as { status: number, instance: string }
  t.equal(problem.status, 404)
  t.equal(problem.instance, '/users/999999', 'the request\'s URL is its origin form')
})

t.test('and from the gateway', async (t) => {
  const gateway = await buildGateway(loadConfig({ LOG_LEVEL: 'silent', SERVICE_USERS_URL: 'http://127.0.0.1:9' }, registry), registry, { modules: ['users'] })
  t.teardown(() => gateway.close())
  await gateway.listen({ port: 0, host: '127.0.0.1' })
  // The gateway's routes are wildcards (no parameter to be too long); the rest it must answer itself.
  const port = (gateway.server.address() as { port: number }).port
  await assertProblems(t, port, cases.filter(([, , , code]) => code !== 'CLV_PARAM_TOO_LONG'))
  // reply-from threw a URIError (500) on a query string that is not valid percent-encoding.
  await assertProblems(t, port, [
    ['a bad percent-encoding in the query', 'GET /users?limit=%ZZ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400, 'CLV_BAD_URL'],
    ['invalid UTF-8 in the query', 'GET /users?q=%FF HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400, 'CLV_BAD_URL']
  ])
})
