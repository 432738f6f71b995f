import t from 'tap'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { createServer } from 'node:http'
import { DependencyUnavailable, InvalidCallInput } from '../../../src/platform/clients/call-errors.js'
import { EmailTaken, UserNotFound } from '../../../src/modules/users/contract.js'
import { buildTestApp, tempDir } from '../../helpers/app.js'
import { recordingServer } from '../../helpers/recording-server.js'
import { resettingServer } from '../../helpers/resetting-server.js'
import { freePort, logLine, startProcess } from '../../helpers/process.js'
import { until } from '../../helpers/until.js'

const ada = { name: 'Ada', email: 'ada@example.com' }

t.test('local transport: the operation is called directly, with the contract\'s validation', async (t) => {
  const app = await buildTestApp(t, { modules: ['users', 'hello'] })
  const created = await app.clients.users.createUser({ body: ada })
  t.match(created, { id: 1, ...ada })
  t.same(await app.clients.users.getUser({ params: { id: 1 } }), created)
  t.equal(await app.clients.hello.getService({}), 'Hello, Microservice!')

  const query = { limit: 1 }
  t.same(await app.clients.users.listUsers({ query }), [created])
  t.same(query, { limit: 1 }, 'defaults are applied to a copy, not the caller\'s object')

  await t.rejects(app.clients.users.getUser({ params: { id: 9 } }), UserNotFound)
  await t.rejects(app.clients.users.createUser({ body: ada }), EmailTaken)
  await t.rejects(app.clients.users.createUser({ body: { name: 7 as unknown as string, email: 'x' } }), InvalidCallInput)
})

t.test('a fallback answers for an unavailable target, never for its 4xx answers', async (t) => {
  const app = await buildTestApp(t, { modules: ['orders'] })
  await t.rejects(app.clients.users.getUser({ params: { id: 1 } }), DependencyUnavailable, 'no instance known: 503')
  t.equal(await app.clients.users.getUser({ params: { id: 1 } }, { fallback: () => 'degraded' }), 'degraded')
})

t.test('remote transport: same values and the same errors as local, request id forwarded', async (t) => {
  const users = await startProcess(t, 'server', { MODULES: 'users', DATA_DIR: tempDir(t) })
  const app = await buildTestApp(t, { modules: ['orders'], env: { SERVICE_USERS_URL: users.url } })
  const context = { id: 'caller-7', log: app.log, headers: {} }

  const created = await app.clients.users.createUser({ body: ada }, { context })
  t.match(created, { id: 1, ...ada })
  t.same(await app.clients.users.getUser({ params: { id: 1 } }, { context }), created)
  t.same(await app.clients.users.listUsers({ query: { limit: 5 } }), [created])

  const missing = await app.clients.users.getUser({ params: { id: 9 } }).catch((error) => error)
  t.ok(missing instanceof UserNotFound, 'a remote 404 is the same error class')
  t.match(missing, { statusCode: 404, code: 'CLV_USERS_NOT_FOUND', message: 'User 9 not found' })
  await t.rejects(app.clients.users.createUser({ body: ada }), EmailTaken)
  t.equal(await app.clients.users.deleteUser({ params: { id: 1 } }), undefined, '204 is undefined')

  // Access lines are written asynchronously after the response: wait for it rather than race it.
  t.ok(await logLine(users, 'the callee\'s access line', (line) => line.reqId === 'caller-7' && line.route === '/users/:id'), 'the callee logged the caller\'s request id')
})

async function connectFailures (app: Awaited<ReturnType<typeof buildTestApp>>, target: string): Promise<number> {
  return (await app.metrics.connectFailures.get()).values.find((value) => value.labels.target === target)?.value ?? 0
}

t.test('a call, POST included, moves to the next instance when no connection could be made; the refusing one is then passed over', async (t) => {
  const users = await startProcess(t, 'server', { MODULES: 'users', DATA_DIR: tempDir(t) })
  const dead = `http://127.0.0.1:${await freePort()}`
  // Listed first: the first call's turn falls on it. CALL_RETRIES=0: a refusal costs no attempt.
  const app = await buildTestApp(t, { modules: ['orders'], env: { SERVICE_USERS_URL: `${dead},${users.url}`, BREAKER_VOLUME_THRESHOLD: '1000', CALL_RETRIES: '0' } })

  const created = await app.clients.users.createUser({ body: ada })
  t.match(created, { id: 1, ...ada }, 'the POST went on to the live instance')
  t.same(await (await fetch(`${users.url}/users`)).json(), [created], 'and was made once')
  t.equal(await connectFailures(app, 'users'), 1, 'after one refused connection')
  t.match((await app.inject('/health')).json().ejected, { [dead]: { ejections: 1, forMs: Number } }, 'the dead instance is ejected')

  for (let i = 0; i < 6; i++) {
    const call = i % 2 === 0 ? app.clients.users.createUser({ body: { name: 'Ada', email: `ada-${i}@example.com` } }) : app.clients.users.listUsers({ query: {} })
    t.ok(await call, `call ${i} answered`)
  }
  t.equal(await connectFailures(app, 'users'), 1, 'none of them tried the dead instance again')
  t.equal((await (await fetch(`${users.url}/users`)).json() as unknown[]).length, 4, 'each POST made one user')
})

t.test('a POST whose connection broke after it was sent is not sent again; a GET is', async (t) => {
  const users = await startProcess(t, 'server', { MODULES: 'users', DATA_DIR: tempDir(t) })
  const resetting = await resettingServer(t)
  const app = await buildTestApp(t, { modules: ['orders'], env: { SERVICE_USERS_URL: `${resetting.url},${users.url}`, BREAKER_VOLUME_THRESHOLD: '1000' } })

  const post = await app.clients.users.createUser({ body: ada }).catch((error) => error)
  t.ok(post instanceof DependencyUnavailable, 'the POST reached an instance that broke the connection: it is the outcome')
  t.same(resetting.requests, ['POST /users'], 'sent once')
  t.same(await (await fetch(`${users.url}/users`)).json(), [], 'never to the other instance')
  t.equal(await connectFailures(app, 'users'), 0, 'a broken connection is not a refused one: nothing is ejected')

  for (let i = 0; i < 2; i++) t.same(await app.clients.users.listUsers({ query: {} }), [], `GET ${i} answered, whichever instance its turn fell on`)
  t.same(resetting.requests.map((line) => line.split('?')[0]), ['POST /users', 'GET /users'], 'the GET that met the breaking instance moved on')
})

t.test('when every instance is ejected they are tried anyway: one that is back answers at once', async (t) => {
  const port = await freePort()
  const app = await buildTestApp(t, { modules: ['orders'], env: { SERVICE_USERS_URL: `http://127.0.0.1:${port}`, BREAKER_CONSECUTIVE_FAILURES: '0' } })
  const failure = await app.clients.users.listUsers({ query: {} }).catch((error) => error)
  t.match(failure.message, /ECONNREFUSED/)
  t.match((await app.inject('/health')).json().ejected, { [`http://127.0.0.1:${port}`]: { ejections: 1 } })

  // The instance is back well within its one-second ejection.
  const back = createServer((_request, response) => { response.setHeader('content-type', 'application/json').end('[]') })
  back.listen(port, '127.0.0.1')
  await once(back, 'listening')
  t.teardown(() => { back.closeAllConnections(); back.close() })
  t.ok((await app.inject('/health')).json().ejected[`http://127.0.0.1:${port}`].forMs > 0, 'still ejected')
  t.same(await app.clients.users.listUsers({ query: {} }), [], 'tried anyway, and it answered')
  t.same((await app.inject('/health')).json().ejected, {}, 'its answer re-admitted it')
})

t.test('a refused connection is not followed by a backoff: two refusing instances fail at once', async (t) => {
  const dead = await Promise.all([freePort(), freePort()])
  // A backoff of this size would take seconds (uniform in 0–10 s, then 0–20 s): failing well
  // under one shows that neither retry slept.
  const app = await buildTestApp(t, { modules: ['orders'], env: { SERVICE_USERS_URL: dead.map((port) => `http://127.0.0.1:${port}`).join(','), CALL_RETRIES: '2', CALL_BACKOFF_MS: '10000', CALL_TIMEOUT_MS: '60000', BREAKER_VOLUME_THRESHOLD: '1000', BREAKER_CONSECUTIVE_FAILURES: '0' } })
  for (let i = 0; i < 3; i++) {
    const started = performance.now()
    const failure = await app.clients.users.getUser({ params: { id: 1 } }).catch((error) => error)
    const ms = performance.now() - started
    t.ok(failure instanceof DependencyUnavailable, `call ${i} is unavailable`)
    t.match(failure.message, /ECONNREFUSED/, 'because every instance refused')
    t.ok(ms < 1000, `call ${i} failed in ${ms.toFixed(0)} ms`)
  }
})

t.test('a call still unanswered 50 ms after the breaker gives up is aborted, and its connection closed', async (t) => {
  // Accepts every request and never answers it.
  const silent = await recordingServer(t, () => {})
  const closed = new Promise<number>((resolve) => silent.server.once('connection', (socket) => socket.once('close', () => resolve(performance.now()))))
  const app = await buildTestApp(t, { modules: ['orders'], env: { SERVICE_USERS_URL: silent.url, CALL_TIMEOUT_MS: '200', CALL_RETRIES: '0', BREAKER_VOLUME_THRESHOLD: '1000' } })
  const started = performance.now()
  const failure = await app.clients.users.getUser({ params: { id: 1 } }).catch((error) => error)
  t.ok(failure instanceof DependencyUnavailable, 'unavailable')
  t.match(failure.message, /no answer within 200 ms/, 'the breaker\'s timeout is the reason')
  const closedAfter = await Promise.race([closed, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5000))])
  t.ok(closedAfter !== undefined, 'the connection was closed')
  const ms = (closedAfter ?? Number.NaN) - started
  t.ok(ms >= 250 && ms < 1000, `closed ${ms.toFixed(0)} ms after the call started (timeout 200 ms, then a 50 ms grace)`)
  t.same(silent.requests, ['GET /users/1'], 'sent once')
})

t.test('a 503 answer is retried on the next instance after a backoff', async (t) => {
  const busy = await recordingServer(t, (_request, response) => {
    response.writeHead(503, { 'content-type': 'application/problem+json' })
    response.end(JSON.stringify({ status: 503, title: 'Service Unavailable', code: 'CLV_BUSY', detail: 'busy' }))
  })
  const users = await startProcess(t, 'server', { MODULES: 'users', DATA_DIR: tempDir(t) })
  const created = await (await fetch(`${users.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ada) })).json()
  const app = await buildTestApp(t, { modules: ['orders'], env: { SERVICE_USERS_URL: `${busy.url},${users.url}`, CALL_RETRIES: '1', CALL_BACKOFF_MS: '10', BREAKER_VOLUME_THRESHOLD: '1000' } })
  t.same(await app.clients.users.getUser({ params: { id: 1 } }), created, 'the second instance answered')
  t.same(busy.requests, ['GET /users/1'], 'after the first answered 503')
})

t.test('a wait before a retry ends with the call\'s deadline: nothing is sent after the caller was told the target is unavailable', async (t) => {
  const busy = await recordingServer(t, (_request, response) => {
    response.writeHead(503, { 'content-type': 'application/problem+json' })
    response.end(JSON.stringify({ status: 503, title: 'Service Unavailable', code: 'CLV_BUSY', detail: 'busy' }))
  })
  // Full jitter waits a random share of the 3 s step: the largest, so the retry would go at about 3 s.
  const random = Math.random
  Math.random = () => 0.999
  t.teardown(() => { Math.random = random })
  const app = await buildTestApp(t, { modules: ['orders'], env: { SERVICE_USERS_URL: `${busy.url},${busy.url}`, CALL_TIMEOUT_MS: '200', CALL_RETRIES: '1', CALL_BACKOFF_MS: '3000', BREAKER_VOLUME_THRESHOLD: '1000' } })
  const failed = await app.clients.users.getUser({ params: { id: 1 } }).then(() => 'answered', (error: Error) => error.message)
  t.match(failed, /no answer within 200 ms/, 'the breaker gave up at the timeout')
  await sleep(4000)
  t.same(busy.requests.filter((line) => line.startsWith('GET /users/')), ['GET /users/1'], 'and the retry the backoff was waiting for was never sent')
})

t.test('calls in a row that reach no instance open the breaker whatever the window holds', async (t) => {
  const dead = `http://127.0.0.1:${await freePort()}`
  // A volume threshold the percentage rule never reaches, so only the run of refusals can open it.
  const app = await buildTestApp(t, { modules: ['orders'], env: { SERVICE_USERS_URL: dead, BREAKER_VOLUME_THRESHOLD: '1000', BREAKER_CONSECUTIVE_FAILURES: '3', BREAKER_RESET_MS: '60000' } })
  const reason = () => app.clients.users.getUser({ params: { id: 1 } }).then(() => 'answered', (error: Error) => error.message)
  for (let i = 0; i < 3; i++) t.match(await reason(), /ECONNREFUSED/, `call ${i} tried and was refused`)
  t.match(await reason(), /circuit breaker is open/, 'the fourth is refused by the open breaker')
  t.match((await app.inject('/health')).json().dependencies, { users: { state: 'open', window: { failures: 3 } } })
})

t.test('the window length and the run of refusals can change at run time on a breaker in use', async (t) => {
  const dead = `http://127.0.0.1:${await freePort()}`
  const app = await buildTestApp(t, { modules: ['orders'], env: { SERVICE_USERS_URL: dead, BREAKER_VOLUME_THRESHOLD: '1000', BREAKER_CONSECUTIVE_FAILURES: '0', BREAKER_WINDOW_MS: '600000', BREAKER_RESET_MS: '60000' } })
  const reason = () => app.clients.users.getUser({ params: { id: 1 } }).then(() => 'answered', (error: Error) => error.message)
  const window = async () => (await app.inject('/health')).json().dependencies.users.window
  for (let i = 0; i < 2; i++) t.match(await reason(), /ECONNREFUSED/)
  t.match(await window(), { calls: 2, failures: 2 }, 'a ten-minute window holds both failures')

  await app.runtimeConfig.update({ breakers: { users: { windowMs: 200 } } })
  await until(async () => (await window()).calls === 0, { what: 'the 200 ms window to forget the failures', timeoutMs: 5000 })
  t.pass('a shorter window forgets them')

  await app.runtimeConfig.update({ breakers: { users: { consecutiveFailures: 1 } } })
  t.match(await reason(), /ECONNREFUSED/, 'this refusal opens it')
  t.match(await reason(), /circuit breaker is open/, 'the next call is refused by the open breaker')
})
