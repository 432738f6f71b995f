// dialects: sqlite postgres
// Two users replicas behind the gateway (static discovery: the dead one stays listed), a steady
// POST loop, one replica SIGKILLed mid-loop. A dead replica may cost only the requests that were
// in flight on it when it died: the gateway passes every later request, POST included, to the
// live replica when no connection can be made, and soon stops choosing the dead one at all.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Agent, request } from 'undici'
import { startSplit } from './topologies.js'
import { until } from '../helpers/until.js'

// Three processes start on a machine that is also running the load.
t.setTimeout(240_000)

/** POSTs in flight at once: the most the kill may cost. */
const concurrency = 8
/** How long the loop goes on after the kill: the first ejection (1 s) and one refused trial fit in it. */
const afterKillMs = 2500

interface Outcome { started: number, status: number, detail?: string }

async function connectFailures (gateway: string): Promise<number> {
  const text = await (await fetch(`${gateway}/metrics`)).text()
  const sample = text.match(/^cleave_target_connect_failures_total\{target="users"\} (\d+)$/m)
  if (!sample) throw new Error('the gateway serves no connect failure count for users')
  return Number(sample[1])
}

t.test('one of two users replicas SIGKILLed under a POST loop through the gateway', async (t) => {
  const { gateway, services } = await startSplit(t, { modules: ['users'], instances: { users: 2 } })
  const [survivor, victim] = services.users
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: concurrency })
  t.teardown(() => agent.close())

  const outcomes: Outcome[] = []
  const created: Array<{ id: number, email: string }> = []
  // An object, so the loops see the flag the end of the test sets.
  const traffic = { running: true }

  async function post (): Promise<void> {
    const started = Date.now()
    const email = `u-${randomUUID()}@example.com`
    try {
      const res = await request(`${gateway.url}/users`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Loop', email }) })
      const text = await res.body.text()
      outcomes.push({ started, status: res.statusCode, detail: res.statusCode === 201 ? undefined : `${res.statusCode} ${/"code":"(\w+)"/.exec(text)?.[1] ?? text}` })
      if (res.statusCode === 201) created.push({ id: (JSON.parse(text) as { id: number }).id, email })
    } catch (error) {
      outcomes.push({ started, status: 0, detail: `${(error as Error).message} ${(error as { code?: string }).code ?? ''}` })
    }
  }
  const load = Promise.all(Array.from({ length: concurrency }, async () => {
    while (traffic.running) await post()
  }))

  const served = (replica: typeof victim) => replica.logs.filter((line) => line.route === '/users' && line.status === 201).length
  await until(() => created.length >= 100 && served(victim) >= 20 && served(survivor) >= 20, { what: 'POSTs served by both replicas', timeoutMs: 60_000 })
  const failuresBefore = await connectFailures(gateway.url)
  victim.child.kill('SIGKILL')
  await victim.exited
  // Requests started from here on were sent while the replica was certainly dead.
  const deadFrom = Date.now()
  await sleep(afterKillMs)
  traffic.running = false
  await load

  const after = outcomes.filter((outcome) => outcome.started >= deadFrom)
  const failed = outcomes.filter((outcome) => outcome.status !== 201)
  t.ok(after.length >= 100, `${after.length} POSTs after the kill, ${outcomes.length} in all`)
  t.ok(failed.length <= concurrency, `${failed.length} failed, at most the loop's ${concurrency} in flight: ${JSON.stringify(failed.map((outcome) => outcome.detail))}`)
  t.same(failed.filter((outcome) => outcome.started >= deadFrom).map((outcome) => outcome.detail), [], 'not one POST sent after the replica died failed')
  // The gateway logs each failed attempt with its cause. A dying process still holds its sockets
  // until the kernel has torn it down: requests sent to it meanwhile were taken (connected, sent)
  // and are lost with it, which is what "in flight on it" means; a refused one never is.
  const taken = await until(() => {
    const broken = gateway.logs.filter((line) => line.msg === 'upstream failed' && line.instance === victim.url && line.code !== 'ECONNREFUSED')
    return broken.length >= failed.length && broken
  }, { what: 'the gateway\'s log of the failed attempts' })
  t.equal(taken.length, failed.length, `each failed POST is one the dying replica had taken (${taken.map((line) => line.code).join(', ')})`)

  // The dead replica is still listed, so each POST whose turn fell on it met a refused connection
  // and moved on; after the first it was ejected, and only its trials (one each time an ejection
  // ends, at 1 s, then 3 s) are tried again. Without ejection, half the POSTs would meet it.
  const refused = await connectFailures(gateway.url) - failuresBefore
  t.ok(refused >= 1, `the dead replica was met (${refused} refused connections): the POSTs really were moved`)
  t.ok(refused <= 2 * concurrency, `${refused} refused connections over ${after.length} POSTs: the dead replica was passed over`)
  const report = await (await fetch(`${gateway.url}/health`)).json() as { upstreams: { users: string[] }, ejected: Record<string, { ejections: number }> }
  t.ok(report.upstreams.users.includes(victim.url), 'static discovery still lists the dead replica')
  t.same(Object.keys(report.ejected), [victim.url], 'the gateway\'s /health shows it ejected, and only it')

  const unreadable: string[] = []
  for (const user of created) {
    const res = await request(`${gateway.url}/users/${user.id}`, { dispatcher: agent })
    const body = await res.body.text()
    if (res.statusCode !== 200 || (JSON.parse(body) as { email: string }).email !== user.email) unreadable.push(`${user.id}: ${res.statusCode} ${body}`)
  }
  t.same(unreadable, [], `every one of the ${created.length} users answered 201 is stored`)
})
