// dialects: sqlite postgres
// Two instances each of users and orders behind the gateway under steady load; each is restarted
// in turn (SIGTERM, drain, exit, a new process registers). Not one request may fail, POSTs
// included, which the gateway never sends twice once they may have arrived: the drain is what
// makes them safe. The dialect matrix runs it with both modules in PostgreSQL, as a scaled-out
// deployment does; here they share SQLite files.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { Agent, request } from 'undici'
import { tempDir } from '../helpers/app.js'
import { databaseEnv } from '../helpers/database.js'
import { startProcess, type RunningProcess } from '../helpers/process.js'
import { startRedis } from '../helpers/redis.js'
import { until } from '../helpers/until.js'

// Seven processes start on a machine that is also running the load: more than the usual two minutes.
t.setTimeout(480_000)

interface Outcome { at: number, method: string, ok: boolean, detail?: string }

const modules = ['users', 'orders'] as const
type Module = typeof modules[number]

t.test('rolling restart of both users and both orders instances under load: zero failed requests', async (t) => {
  const redis = await startRedis(t)
  const prefix = `cleave-test-${randomUUID()}:`
  // TTL 1.5 s: resolvers cache a list for 300 ms, so a 2 s drain is well past every cache.
  const env = {
    DATA_DIR: tempDir(t),
    DISCOVERY: 'redis',
    REDIS_URL: redis.url,
    REDIS_PREFIX: prefix,
    DISCOVERY_TTL_MS: '1500',
    DRAIN_DELAY_MS: '2000',
    SHUTDOWN_TIMEOUT_MS: '30000',
    LOG_LEVEL: 'info',
    ...await databaseEnv(t)
  }
  const start = (module: Module) => startProcess(t, 'server', { ...env, MODULES: module })
  // Started together: migrations run under a lock, so both come up on the same new database.
  const instances: Record<Module, RunningProcess[]> = {
    users: await Promise.all([start('users'), start('users')]),
    orders: await Promise.all([start('orders'), start('orders')])
  }
  const gateway = await startProcess(t, 'gateway', { ...env, MODULES: modules.join(','), LOG_LEVEL: 'warn' })
  const redisClient = new Redis(redis.url)
  t.teardown(async () => { await redisClient.quit() })
  const routedTo = async (module: Module) => ((await (await fetch(`${gateway.url}/health`)).json()) as { upstreams: Record<Module, string[]> }).upstreams[module]
  for (const module of modules) await until(async () => (await routedTo(module)).length === 2, { what: `the gateway knows both ${module} instances`, timeoutMs: 30_000 })

  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 16 })
  t.teardown(() => agent.close())
  const outcomes: Outcome[] = []
  const created: number[] = []
  const orders: number[] = []
  // An object, so the loops below see the flag the end of the test sets.
  const traffic = { running: true }

  async function send (method: 'GET' | 'POST', path: string, expected: number, body?: object): Promise<unknown> {
    const at = Date.now()
    try {
      const res = await request(`${gateway.url}${path}`, {
        method,
        dispatcher: agent,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined
      })
      const text = await res.body.text()
      const ok = res.statusCode === expected
      outcomes.push({ at, method, ok, detail: ok ? undefined : `${method} ${path} → ${res.statusCode} ${text}` })
      return ok ? JSON.parse(text) : undefined
    } catch (error) {
      outcomes.push({ at, method, ok: false, detail: `${method} ${path} → ${(error as Error).message} ${(error as { code?: string }).code ?? ''}` })
      return undefined
    }
  }

  const any = (ids: number[]) => ids[Math.floor(Math.random() * ids.length)]
  async function loop (n: number) {
    for (let i = n; traffic.running; i++) {
      if (i % 5 === 0) {
        const user = await send('POST', '/users', 201, { name: `User ${i}`, email: `u-${randomUUID()}@example.com` }) as { id: number } | undefined
        if (user) created.push(user.id)
      } else if (i % 5 === 1 && created.length > 0) {
        // Orders calls users: a restart of either is under this one.
        const order = await send('POST', '/orders', 201, { userId: any(created), items: [{ sku: 'A-1', qty: 1 }] }) as { id: number } | undefined
        if (order) orders.push(order.id)
      } else if (i % 5 === 2 && orders.length > 0) {
        await send('GET', `/orders/${any(orders)}`, 200)
      } else if (i % 5 === 3 && created.length > 0) {
        await send('GET', `/users/${any(created)}`, 200)
      } else {
        await send('GET', '/users?limit=5', 200)
      }
    }
  }

  async function restart (module: Module, index: number): Promise<void> {
    const name = `${module} instance ${index + 1}`
    const old = instances[module][index]!
    const from = Date.now()
    old.child.kill('SIGTERM')
    t.equal(await old.exited, 0, `${name} drained and exited 0`)
    t.ok(old.logs.some((line) => line.phase === 'draining'), `${name} drained`)
    const fresh = await start(module)
    await until(async () => (await redisClient.zrange(`${prefix}instances:${module}`, '0', '-1')).some((member) => member.endsWith(` ${fresh.url}`)), { what: `new ${name} registered`, timeoutMs: 30_000 })
    await until(async () => (await fetch(`${fresh.url}/health/ready`)).status === 200, { what: `new ${name} ready` })
    await until(async () => (await routedTo(module)).includes(fresh.url), { what: `the gateway routes to the new ${name}` })
    const during = outcomes.filter((outcome) => outcome.at >= from)
    t.ok(during.length >= 50, `${during.length} requests during the restart of ${name}`)
    t.ok(during.filter((outcome) => outcome.method === 'POST').length >= 10, `POSTs among them: ${during.filter((outcome) => outcome.method === 'POST').length}`)
    instances[module][index] = fresh
  }

  const load = Promise.all(Array.from({ length: 4 }, (_, n) => loop(n)))
  await until(() => created.length >= 10 && orders.length >= 5, { what: 'load under way' })
  for (const module of modules) {
    await restart(module, 0)
    await restart(module, 1)
  }
  await until(() => outcomes.filter((outcome) => outcome.at > Date.now() - 1000).length >= 20, { what: 'load continuing' })
  // The last one restarted has only just been routed to: the load goes on until it has answered.
  for (const module of modules) {
    for (const [index, instance] of instances[module].entries()) {
      const took = await until(() => instance.logs.some((line) => typeof line.route === 'string' && line.route.startsWith(`/${module}`)), { what: `the new ${module} instance ${index + 1} taking requests`, timeoutMs: 15_000 }).catch(() => false)
      t.ok(took, `the new ${module} instance ${index + 1} took requests`)
    }
  }
  traffic.running = false
  await load

  const failures = outcomes.filter((outcome) => !outcome.ok)
  t.same(failures.slice(0, 10).map((failure) => failure.detail), [], `zero failed requests out of ${outcomes.length} (${failures.length} failed)`)

  const unreadable: number[] = []
  for (const id of created) {
    const res = await request(`${gateway.url}/users/${id}`, { dispatcher: agent })
    await res.body.dump()
    if (res.statusCode !== 200) unreadable.push(id)
  }
  t.same(unreadable, [], `every one of the ${created.length} users created is readable`)
})
