// dialects: sqlite postgres
import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { notificationsContract } from '../../../src/modules/notifications/contract.js'
import { notificationTables } from '../../../src/modules/notifications/tables.js'
import { buildEventCatalog } from '../../../src/platform/events/catalog.js'
import type { EventEnvelope, EventMeta } from '../../../src/platform/events/event.js'
import { createHandlerRunner } from '../../../src/platform/events/handler-runner.js'
import { buildTestApp } from '../../helpers/app.js'
import { execute, queryRows } from '../../helpers/database.js'
import { startRedis } from '../../helpers/redis.js'
import { until } from '../../helpers/until.js'
import { registry } from '../../helpers/modules.js'

// docs/guides/events.md, Subscriptions: a handler "runs at most once in effect per event id". The handlers here are NOT
// idempotent by themselves (each run appends to a list, like an insert without a unique key),
// so only the handler runner's own bookkeeping (processed_events, and the wait for a run
// already under way) can keep a redelivered event to one effect.

type App = Awaited<ReturnType<typeof buildTestApp>>
const fast = { RELAY_INTERVAL_MS: '50', JOB_BACKOFF_MS: '20' }

/** A handler with an effect per run, slow enough for two runs of one event to overlap. */
function countingHandler () {
  const effects: string[] = []
  const handler = async (_payload: unknown, event: EventMeta) => {
    await sleep(100)
    effects.push(event.id)
  }
  return { effects, handler }
}

function welcome (id = randomUUID()): EventEnvelope {
  return { id, name: 'user.created', payload: { id: 1, name: 'Ada', email: 'ada@example.com' }, publishedAt: Date.now() }
}

async function runnerOn (app: App, handler: ReturnType<typeof countingHandler>['handler']) {
  const catalog = buildEventCatalog(registry)
  return createHandlerRunner({ module: 'notifications', database: await app.databases.open('notifications', notificationTables), catalog, handlers: { 'user.created': handler }, log: app.log, jobDuration: app.metrics.jobDuration, tracing: false })
}

t.test('the handler runner, on a real SQLite database', async (t) => {
  const app = await buildTestApp(t, { modules: [] })

  t.test('the same envelope twice, one after the other: one effect', async (t) => {
    const { effects, handler } = countingHandler()
    const runner = await runnerOn(app, handler)
    const event = welcome()
    t.equal(await runner.run(event, 1), 'handled')
    t.equal(await runner.run(event, 1), 'duplicate')
    t.same(effects, [event.id])
  })

  t.test('the same envelope twice at once: one effect', async (t) => {
    const { effects, handler } = countingHandler()
    const runner = await runnerOn(app, handler)
    const event = welcome()
    t.same((await Promise.all([runner.run(event, 1), runner.run({ ...event }, 1)])).sort(), ['duplicate', 'handled'])
    t.same(effects, [event.id])
  })

  t.test('handled by one runner, redelivered to another on the same database (a restarted process): no second effect', async (t) => {
    const { effects, handler } = countingHandler()
    const event = welcome()
    t.equal(await (await runnerOn(app, handler)).run(event, 1), 'handled')
    t.equal(await (await runnerOn(app, handler)).run(event, 2), 'duplicate')
    t.same(effects, [event.id])
  })

  t.test('a run that failed is not recorded: the retry has the one effect', async (t) => {
    const effects: string[] = []
    let calls = 0
    const runner = await runnerOn(app, async (_payload, event) => {
      if (++calls === 1) throw new Error('first attempt fails')
      effects.push(event.id)
    })
    const event = welcome()
    await t.rejects(runner.run(event, 1), { message: 'first attempt fails' })
    t.equal(await runner.run(event, 2), 'handled')
    t.equal(await runner.run(event, 3), 'duplicate')
    t.same(effects, [event.id])
  })
})

// Through the platform's delivery: users publishes user.created, and the notifications queue is
// handled by a counting handler given to app.registry.implement (notifications itself is not
// mounted, so the runner on its database is ours).
async function appWithCountingSubscriber (t: Test, env: Record<string, string>) {
  const app = await buildTestApp(t, { modules: ['users'], env: { ...fast, ...env } })
  const { effects, handler } = countingHandler()
  await app.databases.open('notifications', notificationTables)
  app.registry.implement(notificationsContract, { operations: { listNotifications: async () => [] }, handlers: { 'user.created': handler, 'order.placed': handler, 'order.shipped': handler } })
  const created = await app.inject({ method: 'POST', url: '/users', payload: { name: 'Ada', email: 'ada@example.com' } })
  t.equal(created.statusCode, 201)
  const outbox = app.databases.get('users')!
  const [{ id: eventId }] = await queryRows<{ id: string }>(outbox, "select id from outbox where name = 'user.created'") as [{ id: string }]
  await until(() => effects.length === 1, { what: 'the first delivery handled' })
  return { app, effects, eventId, outbox }
}

t.test('in-process delivery: the relay sends the event again (crash before it was marked sent), no second effect', async (t) => {
  const { effects, eventId, outbox } = await appWithCountingSubscriber(t, {})
  const unsent = async () => Number((await queryRows<{ n: number }>(outbox, 'select count(*) as n from outbox where sent_at is null'))[0]!.n)
  await until(async () => await unsent() === 0, { what: 'the first delivery marked sent' })
  await execute(outbox, `update outbox set sent_at = null, claimed_until = null where id = '${eventId}'`)
  t.equal(await unsent(), 1, 'made pending again')
  // In-process, a row is marked sent only after the handler's run ended: then the redelivery is over.
  await until(async () => await unsent() === 0, { what: 'the redelivery marked sent' })
  t.same(effects, [eventId], 'one effect for two deliveries')
})

t.test('BullMQ: the same envelope re-added under new job ids (a Redis that lost its jobs), twice at once, no second effect', async (t) => {
  const redis = await startRedis(t)
  const { app, effects, eventId } = await appWithCountingSubscriber(t, { REDIS_URL: redis.url, REDIS_PREFIX: `cleave-test-${randomUUID()}:` })
  const queue = app.events.queues().find((candidate) => candidate.name === 'events-notifications')
  if (!queue) throw new Error('no events-notifications queue')
  const first = await until(() => queue.getJob(eventId), { what: 'the job of the first delivery' })
  const completed = (ids: string[]) => until(async () => {
    const states = await Promise.all(ids.map(async (id) => (await queue.getJob(id))?.getState()))
    return states.every((state) => state === 'completed')
  }, { what: `jobs ${ids.join(', ')} completed` })

  // Already handled: both resends skip it, even while running side by side.
  const resent = await Promise.all([1, 2].map(() => queue.add(first.name, first.data, { jobId: randomUUID() })))
  await completed(resent.map((job) => job.id!))
  t.same(effects, [eventId], 'an event already handled: no second effect')

  // Not handled yet: two deliveries at once, while the first still runs.
  const fresh = welcome()
  const twice = await Promise.all([1, 2].map(() => queue.add(fresh.name, fresh, { jobId: randomUUID() })))
  await completed(twice.map((job) => job.id!))
  t.same(effects, [eventId, fresh.id], 'a new event delivered twice at once: one effect')
})
