import t, { type Test } from 'tap'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DependencyUnavailable } from '../../../src/platform/clients/call-errors.js'
import { buildTestApp } from '../../helpers/app.js'
import { until } from '../../helpers/until.js'

// Far above anything the test waits for: a call that ends before it was refused, not timed out.
// Health checks off: the frozen target would fail them and leave rotation, which is not what this tests.
const callTimeoutMs = 60_000
const fastMs = 500
const ada = { id: 1, name: 'Ada', email: 'ada@example.com', createdAt: new Date().toISOString() }

// A users instance on 127.0.0.1 that answers until frozen, then accepts every request and holds it.
async function freezableUsers (t: Test) {
  const held: ServerResponse[] = []
  let frozen = false
  const answer = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ada))
  const server = createServer((req, res) => {
    req.resume()
    if (frozen) held.push(res)
    else answer(res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    freeze () { frozen = true },
    /** Answers what it held, so the calls in flight end before the app closes its agent. */
    thaw () {
      frozen = false
      for (const res of held.splice(0)) answer(res)
    }
  }
}

async function timed<T> (promise: Promise<T>) {
  const started = performance.now()
  const outcome = await promise.catch((error: Error) => error)
  return { outcome, ms: performance.now() - started }
}

async function bulkheadEvents (app: Awaited<ReturnType<typeof buildTestApp>>): Promise<number> {
  const line = (await app.inject('/metrics')).body.split('\n').find((l) => l.startsWith('cleave_breaker_events_total{target="users",event="bulkhead"}'))
  return Number(line?.split(' ')[1])
}

t.test('over CALL_CONCURRENCY calls in flight, the next call fails at once; a run-time change applies to the live transport', async (t) => {
  const users = await freezableUsers(t)
  const app = await buildTestApp(t, { modules: ['orders'], env: { SERVICE_USERS_URL: users.url, CALL_CONCURRENCY: '2', CALL_TIMEOUT_MS: String(callTimeoutMs), HEALTH_CHECK_INTERVAL_MS: '0' } })
  // Registered after the app so it runs first: a failed assertion must not leave calls that keep
  // app.close() waiting for the 60 s timeout.
  t.teardown(users.thaw)
  const getUser = (fallback?: () => string) => app.clients.users.getUser({ params: { id: 1 } }, { fallback })
  t.same(await getUser(), ada, 'the target answers until frozen')
  t.equal(await bulkheadEvents(app), 0, 'the bulkhead event is served from the first remote call, at 0')

  users.freeze()
  const hanging = [getUser(), getUser()]
  await until(() => users.held.length === 2, { what: 'the frozen target to hold two calls' })

  const refused = await timed(getUser())
  t.ok(refused.outcome instanceof DependencyUnavailable, 'the third call is DependencyUnavailable')
  t.match(refused.outcome, { statusCode: 503, code: 'CLV_DEPENDENCY_UNAVAILABLE', message: 'users is unavailable: too many calls in flight (2)' })
  t.ok(refused.ms < fastMs, `and failed in ${refused.ms.toFixed(0)} ms, not after the ${callTimeoutMs} ms timeout`)
  const degraded = await timed(getUser(() => 'degraded'))
  t.equal(degraded.outcome, 'degraded', 'a fallback answers for it')
  t.ok(degraded.ms < fastMs, `at once (${degraded.ms.toFixed(0)} ms)`)
  t.equal(users.held.length, 2, 'neither refused call reached the target')
  t.equal(await bulkheadEvents(app), 2, 'both refusals are counted as cleave_breaker_events_total{event="bulkhead"}')
  t.match((await app.inject('/health')).json().dependencies, { users: { state: 'closed', window: { failures: 0, rejected: 0 } } }, 'the breaker did not count them')

  await app.runtimeConfig.update({ breakers: { users: { concurrency: 3 } } })
  hanging.push(getUser())
  await until(() => users.held.length === 3, { what: 'a raised limit to let a third call through' })
  t.match(await getUser().catch((error: Error) => error.message), /too many calls in flight \(3\)/, 'the fourth is refused under the new limit')

  await app.runtimeConfig.update({ breakers: { users: { concurrency: 1 } } })
  t.match(await getUser().catch((error: Error) => error.message), /too many calls in flight \(1\)/, 'a lowered limit refuses at once too')

  users.thaw()
  t.same(await Promise.all(hanging), [ada, ada, ada], 'the calls that were let through get their answers')
  t.same(await getUser(), ada, 'with nothing in flight, a call goes through again')
})

t.test('through a route: callers of a frozen target stay fast once its calls fill the bulkhead', async (t) => {
  const users = await freezableUsers(t)
  const app = await buildTestApp(t, { modules: ['orders'], env: { SERVICE_USERS_URL: users.url, CALL_CONCURRENCY: '2', CALL_TIMEOUT_MS: String(callTimeoutMs), HEALTH_CHECK_INTERVAL_MS: '0' } })
  // Registered after the app so it runs first: a failed assertion must not leave calls that keep
  // app.close() waiting for the 60 s timeout.
  t.teardown(users.thaw)
  const placed = await app.inject({ method: 'POST', url: '/orders', payload: { userId: 1, items: [{ sku: 'A', qty: 1 }] } })
  t.equal(placed.statusCode, 201)
  const orderUrl = `/orders/${placed.json().id}`

  users.freeze()
  const hanging = [app.inject(orderUrl), app.inject(orderUrl)]
  await until(() => users.held.length === 2, { what: 'the frozen target to hold two reads' })

  const read = await timed(app.inject(orderUrl))
  t.ok(read.ms < fastMs, `a read answered in ${read.ms.toFixed(0)} ms`)
  t.match('json' in read.outcome ? read.outcome.json() : read.outcome, { user: null, degraded: true }, 'from its fallback')
  const write = await timed(app.inject({ method: 'POST', url: '/orders', payload: { userId: 1, items: [{ sku: 'A', qty: 1 }] } }))
  t.ok(write.ms < fastMs, `a write answered in ${write.ms.toFixed(0)} ms`)
  t.match('json' in write.outcome ? { status: write.outcome.statusCode, ...write.outcome.json() } : write.outcome, { status: 503, code: 'CLV_DEPENDENCY_UNAVAILABLE', detail: 'users is unavailable: too many calls in flight (2)' }, 'with no fallback: 503')
  t.equal(await bulkheadEvents(app), 2)

  users.thaw()
  for (const res of await Promise.all(hanging)) t.match(res.json(), { user: { name: 'Ada' }, degraded: false }, 'the held reads end with the answer')
})
