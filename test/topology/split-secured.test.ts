import t from 'tap'
import { createServiceTokens } from '../../src/platform/security/service-token.js'
import { serviceTokenHeader } from '../../src/platform/primitives/header-names.js'
import { logLine } from '../helpers/process.js'
import { splitSecret, startSplit } from './topologies.js'

// The split signs every internal call with SERVICE_SECRET. Run at LOG_LEVEL=trace, so anything
// that could log a header or a setting does, and every process's output is searched for secrets.
t.test('a split with SERVICE_SECRET: calls through the gateway and between modules work, direct calls need a token', async (t) => {
  const { gateway, services } = await startSplit(t, { env: { LOG_LEVEL: 'trace' } })
  const users = services.users[0]
  const bearer = 'Bearer user-credential-never-logged-1f2e3d'
  const cookie = 'session=cookie-value-never-logged-4c5b6a'
  const times = { lifetimeMs: 5000, skewMs: 5000 }
  const clientToken = createServiceTokens(['a-client-guessed-secret-0123456789abcdef'], 'mallory', times).sign({ method: 'POST', target: '/users', module: 'users' }, undefined)
  const json = { 'content-type': 'application/json' }

  const created = await fetch(`${gateway.url}/users`, {
    method: 'POST',
    headers: { ...json, authorization: bearer, cookie, [serviceTokenHeader]: clientToken },
    body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' })
  })
  t.equal(created.status, 201, 'the gateway signs what it relays; a token the client sent is dropped, not passed on')
  const user = await created.json() as { id: number }

  const order = await fetch(`${gateway.url}/orders`, { method: 'POST', headers: { ...json, authorization: bearer }, body: JSON.stringify({ userId: user.id, items: [{ sku: 'A', qty: 1 }] }) })
  t.equal(order.status, 201, 'orders checked the user with a signed call to users')
  const { id: orderId } = await order.json() as { id: number }
  const read = await fetch(`${gateway.url}/orders/${orderId}`).then((res) => res.json()) as { user: { name: string } | null, degraded?: boolean }
  t.match(read, { user: { name: 'Ada' } }, 'GET /orders/:id got the user from users, not a fallback')
  t.notOk(read.degraded)
  t.equal((await fetch(`${gateway.url}/proxy`)).status, 200, 'proxy → hello too')

  const direct = await fetch(`${users.url}/users/${user.id}`, { headers: { authorization: bearer, cookie } })
  t.equal(direct.status, 401, 'straight to users without a token')
  t.match(direct.headers.get('content-type'), /^application\/problem\+json/)
  const directBody = await direct.text()
  t.match(JSON.parse(directBody), { status: 401, code: 'CLV_SERVICE_TOKEN_MISSING' })

  const tokens = createServiceTokens([splitSecret], 'cleave:test', times)
  const wrongPath = await fetch(`${users.url}/users/${user.id}`, { headers: { [serviceTokenHeader]: tokens.sign({ method: 'GET', target: '/users', module: 'users' }, undefined) } })
  t.equal(wrongPath.status, 401, 'a token for another path')
  const wrongPathBody = await wrongPath.text()
  t.match(JSON.parse(wrongPathBody), { code: 'CLV_SERVICE_TOKEN_INVALID' })
  t.equal((await fetch(`${users.url}/users/${user.id}`, { headers: { [serviceTokenHeader]: clientToken } })).status, 401, 'a token signed with another secret')
  t.equal((await fetch(`${users.url}/users/${user.id}`, { headers: { [serviceTokenHeader]: tokens.sign({ method: 'GET', target: `/users/${user.id}`, module: 'users' }, undefined) } })).status, 200, 'a token for this request')
  t.equal((await fetch(`${users.url}/health/ready`)).status, 200, 'probes need no token')
  t.equal((await fetch(`${gateway.url}/users/999999`, { headers: { authorization: bearer } })).status, 404, 'a failing request through the gateway')
  t.equal((await fetch(`${gateway.url}/users`, { method: 'POST', headers: { ...json, authorization: bearer }, body: '{"name":' })).status, 400, 'a malformed body')

  // Processes log asynchronously: wait for the gateway's line of the last request.
  await logLine(gateway, 'the gateway\'s line of the malformed body', (line) => line.status === 400)
  const processes = [gateway, ...Object.values(services).flat()]
  const output = processes.flatMap((process) => process.logs).map((line) => JSON.stringify(line)).join('\n')
  t.ok(output.includes('"level":10') || output.includes('"level":20'), 'debug or trace lines were written')
  for (const [name, secret] of Object.entries({ SERVICE_SECRET: splitSecret, authorization: 'user-credential-never-logged', cookie: 'cookie-value-never-logged', 'a client token': clientToken })) {
    t.notOk(output.includes(secret), `${name} is not in any log`)
    for (const body of [directBody, wrongPathBody]) t.notOk(body.includes(secret), `${name} is not in an error body`)
  }
  const signed = /v2\.\d+\.[\w-]+\.[\w-]*\.[\w-]{43}/
  t.notMatch(output, signed, 'no service token the processes made is in any log')
})
