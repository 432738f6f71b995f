import t from 'tap'
import { randomUUID } from 'node:crypto'
import { createTestDatabase } from '../helpers/database.js'
import { startRedis } from '../helpers/redis.js'
import { apiSuite } from './api-suite.js'
import { startSplit, suiteModules } from './topologies.js'

// The topology a team scales out to: one process per module behind the gateway, Redis
// discovery, users and orders in PostgreSQL with two replicas each (their relays sharing one
// outbox), tasks and notifications on SQLite.
t.test('users and orders on PostgreSQL, two replicas each, behind the gateway with Redis discovery', async (t) => {
  const redis = await startRedis(t)
  const url = await createTestDatabase(t)
  const { gateway, services } = await startSplit(t, {
    redis: { url: redis.url, prefix: `cleave-test-${randomUUID()}:` },
    instances: { users: 2, orders: 2 },
    modules: suiteModules,
    env: { USERS_DATABASE_URL: url, ORDERS_DATABASE_URL: url }
  })
  await apiSuite(t, gateway.url)

  for (let i = 0; i < 10; i++) await fetch(`${gateway.url}/users?limit=1`)
  for (const [n, instance] of services.users.entries()) {
    t.ok(instance.logs.some((line) => line.route === '/users'), `users replica ${n + 1} took requests`)
  }

  t.test('50 concurrent creates with one email, spread over both replicas: one 201, 49 409s', async (t) => {
    const email = `same-${randomUUID()}@example.com`
    const answers = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const res = await fetch(`${gateway.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': `same-email-${i}` }, body: JSON.stringify({ name: `Same ${i}`, email: i % 2 ? email : email.toUpperCase() }) })
      return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.json() as { code?: string } }
    }))
    t.equal(answers.filter((answer) => answer.status === 201).length, 1, 'exactly one created')
    const conflicts = answers.filter((answer) => answer.status === 409)
    t.equal(conflicts.length, 49, 'the rest conflict')
    t.ok(conflicts.every((answer) => answer.type.startsWith('application/problem+json') && answer.body.code === 'CLV_USERS_EMAIL_TAKEN'), 'each a problem naming the conflict')
    const served = services.users.map((instance) => instance.logs.filter((line) => String(line.reqId).startsWith('same-email-') && line.msg === 'request').length)
    t.ok(served.every((count) => count > 0), `both replicas answered some (${served.join(' + ')})`)
  })
})
