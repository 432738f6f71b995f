// deploy/compose.yaml's postgres profile: two replicas each of users and orders on one PostgreSQL,
// behind one DNS name each (Docker spreads connections over the replicas). Under steady traffic
// through the gateway, every replica is replaced in turn (docker stop: drain, exit; docker start:
// migrations under the lock, healthy again): not one request may fail, POSTs included.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { Agent, request } from 'undici'
import { buildImage, docker, startCompose } from '../helpers/docker.js'
import { until } from '../helpers/until.js'

t.setTimeout(900_000)

interface Outcome { method: string, path: string, status: number, detail?: string }

t.test('compose postgres: replacing each users and orders replica under load loses no request', async (t) => {
  await buildImage()
  const password = randomBytes(24).toString('hex')
  const stack = await startCompose(t, 'postgres', {
    env: { POSTGRES_PASSWORD: password, DATABASE_URL: `postgres://cleave:${password}@postgres:5432/cleave` },
    scale: { 'users-pg': 2, 'orders-pg': 2 }
  })
  const base = stack.url
  const replicas = { users: await stack.containers('users-pg'), orders: await stack.containers('orders-pg') }
  t.equal(replicas.users.length, 2, 'two users replicas')
  t.equal(replicas.orders.length, 2, 'two orders replicas')

  const agent = new Agent({ connections: 8 })
  t.teardown(() => agent.close())
  const outcomes: Outcome[] = []
  async function send (method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown> | undefined> {
    try {
      const res = await request(`${base}${path}`, {
        method,
        dispatcher: agent,
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
      })
      const text = await res.body.text()
      outcomes.push({ method, path, status: res.statusCode, ...(res.statusCode >= 400 ? { detail: text.slice(0, 300) } : {}) })
      return res.statusCode < 300 ? JSON.parse(text) as Record<string, unknown> : undefined
    } catch (error) {
      outcomes.push({ method, path, status: 0, detail: (error as Error).message })
    }
  }

  const seed = await send('POST', '/users', { name: 'Ada', email: `ada-${stack.project}@example.com` })
  t.ok(seed, 'a first user')
  const traffic = { running: true }
  let n = 0
  const loop = async () => {
    while (traffic.running) {
      const i = n++
      const user = await send('POST', '/users', { name: `Load ${i}`, email: `load-${i}-${stack.project}@example.com` })
      await send('GET', `/users/${String(seed?.id)}`)
      if (user) {
        const order = await send('POST', '/orders', { userId: user.id, items: [{ sku: 'A-1', qty: 1 }] })
        if (order) await send('GET', `/orders/${String(order.id)}`)
      }
    }
  }
  const loops = Array.from({ length: 4 }, loop)

  for (const [module, ids] of Object.entries(replicas)) {
    for (const id of ids) {
      await docker('stop', '-t', '20', id)
      await docker('start', id)
      await until(async () => (await docker('inspect', '--format', '{{.State.Health.Status}}', id)) === 'healthy', { what: `${module} replica ${id.slice(0, 12)} healthy again`, timeoutMs: 90_000, everyMs: 500 })
      t.comment(`${module} replica ${id.slice(0, 12)} replaced; ${outcomes.length} requests so far`)
    }
  }
  traffic.running = false
  await Promise.all(loops)

  const failed = outcomes.filter((o) => o.status === 0 || o.status >= 500)
  t.ok(outcomes.length > 200, `${outcomes.length} requests during the replacements`)
  t.same(failed, [], 'no request failed')
  t.equal(outcomes.filter((o) => o.status >= 400).length, 0, 'and none was refused')
})
