// dialects: sqlite postgres
// Events across languages: CloudEvents on a real RabbitMQ, with Python (pika) on the other side.
import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { buildTestApp } from '../../helpers/app.js'
import { execute, queryRows, testDialect } from '../../helpers/database.js'
import { printed, rabbitmqUrl, runPython, testRabbit, type TestRabbit } from '../../helpers/rabbitmq.js'
import { startRedis } from '../../helpers/redis.js'
import { until } from '../../helpers/until.js'

type App = Awaited<ReturnType<typeof buildTestApp>>
const fast = { RELAY_INTERVAL_MS: '50', JOB_BACKOFF_MS: '20' }

const modes: Record<string, (t: Test) => Promise<Record<string, string>>> = {
  'in-process (no Redis)': async () => fast,
  'BullMQ on Redis': async (t) => ({ ...fast, REDIS_URL: (await startRedis(t)).url, REDIS_PREFIX: `cleave-test-${randomUUID()}:` })
}

interface Notification { id: number, userId: number, kind: string, message: string, eventId: string }

async function notifications (app: App): Promise<Notification[]> {
  return (await app.inject('/notifications?limit=100')).json()
}

function shipped (id: string, data: Record<string, unknown> = { orderId: 7, userId: 3, carrier: 'DHL', trackingCode: 'JD0123' }) {
  return { specversion: '1.0', id, source: 'shipping', type: 'order.shipped', time: new Date().toISOString(), datacontenttype: 'application/json', data }
}

/** Published from Python, as an external module would, each confirmed by the broker. */
async function publishFromPython (t: Test, rabbit: TestRabbit, events: object[]) {
  const publisher = runPython(t, 'publish.py', [rabbitmqUrl, rabbit.exchange], { stdin: events.map((event) => JSON.stringify(event)).join('\n') + '\n' })
  t.equal(await publisher.exited, 0, 'the Python publisher had every event confirmed')
  t.equal(publisher.lines.filter((line) => line.startsWith('confirmed ')).length, events.length)
}

/** A message's body as bytes: the client decodes application/json bodies itself. */
function bytesOf (body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body))
}

/** The value of a counter in the app's /metrics, 0 when it has no sample yet. */
async function metric (app: App, series: string): Promise<number> {
  const text = (await app.inject('/metrics')).body
  const line = text.split('\n').find((one) => one.startsWith(`${series} `))
  return line ? Number(line.split(' ')[1]) : 0
}

t.test('a Python consumer receives user.created as a CloudEvent after POST /users', async (t) => {
  const rabbit = await testRabbit(t)
  const queue = rabbit.track(`${rabbit.exchange}.python`)
  const consumer = runPython(t, 'consume.py', [rabbitmqUrl, rabbit.exchange, queue, '1', 'user.created'])
  await printed(consumer, 'ready', (line) => line === 'ready')
  const app = await buildTestApp(t, { modules: ['users'], env: { ...rabbit.env, ...fast } })
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
  const created = await app.inject({ method: 'POST', url: '/users', headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` }, payload: { name: 'Ada', email: 'ada@example.com' } })
  t.equal(created.statusCode, 201)
  const user = created.json() as { id: number }

  const received = JSON.parse(await printed(consumer, 'the CloudEvent', (line) => line.startsWith('{')))
  t.equal(await consumer.exited, 0)
  const [row] = await queryRows<{ id: string, created_at: number }>(app.databases.get('users')!, 'select id, created_at from outbox')
  t.match(received, { routingKey: 'user.created', contentType: 'application/cloudevents+json', deliveryMode: 2, messageId: row!.id })
  const { event } = received
  t.same(event, {
    specversion: '1.0',
    id: row!.id,
    source: 'users',
    type: 'user.created',
    time: new Date(Number(row!.created_at)).toISOString(),
    datacontenttype: 'application/json',
    data: { id: user.id, name: 'Ada', email: 'ada@example.com' },
    traceparent: event.traceparent
  })
  t.match(event.traceparent, new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`), 'the publisher\'s trace goes with it')
  t.not(event.traceparent, `00-${traceId}-00f067aa0ba902b7-01`, 'as a span of the publisher, not the caller\'s')

  const health = (await app.inject('/health')).json()
  t.same(health.amqp, { connection: 'up', exchange: rabbit.exchange, queues: [] }, 'a process that only publishes consumes nothing')
  // The consumer may have it before the app has the broker's confirm.
  await until(async () => await metric(app, 'cleave_amqp_confirmed_total{event="user.created"}') === 1, { what: 'the confirm counted' })
  t.equal(await metric(app, 'cleave_amqp_published_total{event="user.created"}'), 1)
})

for (const [mode, envFor] of Object.entries(modes)) {
  t.test(`${mode}: a Python publisher's order.shipped reaches notifications, once in effect per id`, async (t) => {
    const rabbit = await testRabbit(t)
    rabbit.track(`${rabbit.exchange}.notifications`)
    rabbit.track(`${rabbit.exchange}.dead-letter`)
    const app = await buildTestApp(t, { modules: ['notifications'], env: { ...rabbit.env, ...await envFor(t) } })
    await app.ready()
    const health = await until(async () => { const report = (await app.inject('/health')).json(); return report.amqp?.connection === 'up' && report }, { what: 'connected' })
    t.same(health.amqp.queues, [`${rabbit.exchange}.notifications`, `${rabbit.exchange}.dead-letter`])
    // The consumer's queue exists once the consumer is ready; only then is a publication routed to it.
    await until(() => rabbit.messageCount(`${rabbit.exchange}.notifications`).then(() => true, () => false), { what: 'the notifications queue declared' })

    const id = randomUUID()
    await publishFromPython(t, rabbit, [shipped(id), shipped(id)])
    const [note] = await until(async () => { const list = (await notifications(app)).filter((n) => n.kind === 'shipping'); return list.length > 0 && list }, { what: 'the shipping notification' })
    t.match(note, { userId: 3, kind: 'shipping', message: 'Order #7 shipped with DHL (tracking JD0123)', eventId: `shipping/${id}` })

    // Both were handed to the delivery path and acknowledged; the second had no effect.
    await until(async () => await metric(app, 'cleave_amqp_delivered_total{module="notifications",event="order.shipped"}') === 2, { what: 'both deliveries acknowledged' })
    await until(async () => await rabbit.messageCount(`${rabbit.exchange}.notifications`) === 0, { what: 'the queue drained' })
    const queue = app.events.queues().find((one) => one.name === 'events-notifications')
    if (queue) await until(async () => (await queue.getJobCounts('waiting', 'active', 'delayed')).waiting === 0 && (await queue.getJobCounts('active')).active === 0, { what: 'the BullMQ queue idle' })
    t.equal((await notifications(app)).filter((n) => n.kind === 'shipping').length, 1, 'one notification for one id')
    t.equal((await rabbit.drain(`${rabbit.exchange}.dead-letter`).catch(() => [])).length, 0, 'nothing dead-lettered')
  })
}

t.test('malformed messages land in the dead-letter queue with their reason; valid ones still pass', async (t) => {
  const rabbit = await testRabbit(t)
  rabbit.track(`${rabbit.exchange}.notifications`)
  const deadLetters = rabbit.track(`${rabbit.exchange}.dead-letter`)
  const app = await buildTestApp(t, { modules: ['notifications'], env: { ...rabbit.env, ...fast } })
  await app.ready()
  await until(() => rabbit.messageCount(`${rabbit.exchange}.notifications`).then(() => true, () => false), { what: 'the notifications queue declared' })

  const json = 'application/cloudevents+json'
  const { specversion: _, ...noSpecversion } = shipped('no-specversion')
  const bad: Array<[string, string | Buffer, string | undefined, RegExp]> = [
    ['not JSON', 'order shipped!', json, /^the body is not JSON: /],
    ['missing specversion', JSON.stringify(noSpecversion), json, /^not a CloudEvent 1\.0: \/specversion must have required property 'specversion'|^not a CloudEvent 1\.0: .*specversion/],
    ['data against the schema', JSON.stringify(shipped('bad-data', { orderId: 'seven', userId: 3, carrier: 'DHL' })), json, /^data fails the schema of order\.shipped: (?=.*data\/orderId must be integer)(?=.*data\/trackingCode must have required property 'trackingCode')/],
    ['wrong source', JSON.stringify({ ...shipped('wrong-source'), source: 'users' }), json, /^source "users" is not shipping, whose contract declares order\.shipped$/],
    ['another content type', JSON.stringify(shipped('binary-mode')), 'application/json', /^content-type "application\/json": a CloudEvent in structured mode is application\/cloudevents\+json$/],
    ['a __proto__ key', '{"specversion":"1.0","id":"proto","source":"shipping","type":"order.shipped","data":{"__proto__":{"x":1}}}', json, /^the body is not JSON: .*forbidden prototype property/]
  ]
  for (const [, body, contentType, ,] of bad) await rabbit.publish('order.shipped', body, { contentType })
  // Bound by routing key, not by the type inside: an unknown type on a bound key is refused too.
  await rabbit.publish('order.shipped', JSON.stringify({ ...shipped('unknown-type'), type: 'order.lost' }), { contentType: json })
  // Cleave's own events never come in this way, even if someone sends one.
  await rabbit.publish('order.shipped', JSON.stringify({ ...shipped('cleave-event'), source: 'users', type: 'user.created', data: { id: 1, name: 'A', email: 'a@example.com' } }), { contentType: json })
  const good = randomUUID()
  await rabbit.publish('order.shipped', JSON.stringify(shipped(good)), { contentType: json, messageId: good })

  const all = bad.length + 2
  await until(async () => await metric(app, 'cleave_amqp_delivered_total{module="notifications",event="order.shipped"}') === 1, { what: 'the valid one delivered' })
  await until(async () => { const n = await rabbit.messageCount(deadLetters).catch(() => -1); return n === all || (n > all && `${n}`) }, { timeoutMs: 30_000, what: `${all} dead letters` })
  const letters = await rabbit.drain(deadLetters)
  t.equal(letters.length, all)
  for (const [what, body, contentType, reason] of bad) {
    const letter = letters.find((one) => bytesOf(one.body).equals(Buffer.from(body)))
    t.ok(letter, `${what}: dead-lettered with its body unchanged`)
    t.match(letter?.headers?.['x-cleave-reason'], reason, `${what}: ${letter?.headers?.['x-cleave-reason']}`)
    t.match(letter, { contentType, durable: true, headers: { 'x-cleave-queue': `${rabbit.exchange}.notifications`, 'x-cleave-exchange': rabbit.exchange, 'x-cleave-routing-key': 'order.shipped' } })
  }
  const reasons = letters.map((letter) => String(letter.headers?.['x-cleave-reason']))
  t.ok(reasons.includes('type "order.lost" is not an event of an external module: no contract declares it'))
  t.ok(reasons.includes('type "user.created" is not an event of an external module: it is users\'s, a Cleave module, which publishes through its outbox'))

  const list = await notifications(app)
  t.same(list.map((n) => n.eventId), [`shipping/${good}`], 'only the valid event had an effect')
  t.equal(await rabbit.messageCount(`${rabbit.exchange}.notifications`), 0, 'every message was acknowledged: none comes back')
  t.equal(await metric(app, 'cleave_amqp_dead_lettered_total{module="notifications",reason="invalid-data"}'), 1)
  t.equal(await metric(app, 'cleave_amqp_dead_lettered_total{module="notifications",reason="not-json"}'), 2)
  const text = (await app.inject('/metrics')).body
  t.match(text, /^cleave_amqp_connected 1$/m)
  // Prometheus's own linter (Debian's prometheus package, which .ci/run installs), when it is here.
  const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
  if (promtool.status !== null) t.equal(`${promtool.stdout}${promtool.stderr}`.trim(), '', 'promtool has nothing to say about the cleave_amqp_* series')
})

/** The notifications database refuses (a trigger raises) every notification of this carrier: its handler fails each time. */
async function refuseCarrier (app: App, carrier: string) {
  const database = app.databases.get('notifications')!
  const refused = `new.message like '% shipped with ${carrier} %'`
  if (testDialect() === 'sqlite') {
    await execute(database, `create trigger refuse_carrier before insert on notifications when ${refused} begin select raise(abort, 'the carrier refuses the parcel'); end`)
    return
  }
  await execute(database, `create function refuse_carrier() returns trigger language plpgsql as $$ begin if ${refused} then raise exception 'the carrier refuses the parcel'; end if; return new; end $$`)
  await execute(database, 'create trigger refuse_carrier before insert on notifications for each row execute function refuse_carrier()')
}

function nested (depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`
}

for (const [mode, envFor] of Object.entries(modes)) {
  t.test(`${mode}: poison messages ahead of valid ones go to the dead-letter queue with their reasons; the valid ones are handled`, async (t) => {
    const rabbit = await testRabbit(t)
    const queue = rabbit.track(`${rabbit.exchange}.notifications`)
    const deadLetters = rabbit.track(`${rabbit.exchange}.dead-letter`)
    // One message and one job at a time: a poison message that kept its slot would starve the rest.
    // users too: its events are Cleave's own, whose failures stay where they are.
    const app = await buildTestApp(t, { modules: ['notifications', 'users'], env: { ...rabbit.env, ...await envFor(t), WORKER_CONCURRENCY: '1' } })
    await app.ready()
    await until(() => rabbit.messageCount(queue).then(() => true, () => false), { what: 'the notifications queue declared' })
    await refuseCarrier(app, 'Refusing')
    const users = app.databases.get('users')!
    await execute(users, `insert into outbox (id, name, payload, created_at) values ('bad-event', 'user.created', '{"id":"x","name":"A"}', ${Date.now()})`)
    const limit = app.config.BODY_LIMIT_BYTES
    const attempts = app.config.JOB_ATTEMPTS
    const json = 'application/cloudevents+json'

    // 10 MB, and otherwise a valid order.shipped (undeclared members are allowed): once stored as a notification.
    const large = JSON.stringify(shipped(`large-${randomUUID()}`, { orderId: 1, userId: 3, carrier: 'DHL', trackingCode: 'L1', padding: 'x'.repeat(10 * 2 ** 20) }))
    // Past the limit and not JSON: refused as too large, so it was never parsed.
    const largeText = 'x'.repeat(limit + 1)
    const deepId = `deep-${randomUUID()}`
    const deep = JSON.stringify(shipped(deepId)).replace('"trackingCode":"JD0123"', `"trackingCode":"JD0123","extra":${nested(20_000)}`)
    // application/json: the client parses it itself; too deep to encode again, it is dead-lettered without its body.
    const deepJson = nested(20_000)
    const refusedId = `refused-${randomUUID()}`
    const refused = shipped(refusedId, { orderId: 9, userId: 3, carrier: 'Refusing', trackingCode: 'R1' })
    await rabbit.publish('order.shipped', large, { contentType: json })
    await rabbit.publish('order.shipped', largeText, { contentType: json })
    await rabbit.publish('order.shipped', deep, { contentType: json })
    await rabbit.publish('order.shipped', deepJson, { contentType: 'application/json' })
    await rabbit.publish('order.shipped', JSON.stringify(refused), { contentType: json, messageId: refusedId })
    const valid = [randomUUID(), randomUUID(), randomUUID()]
    for (const [i, id] of valid.entries()) await rabbit.publish('order.shipped', JSON.stringify(shipped(id, { orderId: 10 + i, userId: 3, carrier: 'DHL', trackingCode: `V${i}` })), { contentType: json })

    const handled = await until(async () => { const list = await notifications(app); return list.length >= valid.length && list }, { timeoutMs: 30_000, what: 'the valid events handled' })
    t.same(handled.map((n) => n.eventId).sort(), valid.map((id) => `shipping/${id}`).sort(), 'the valid events, and only they, had an effect')
    await until(async () => { const n = await rabbit.messageCount(deadLetters).catch(() => -1); return n === 5 || (n > 5 && `${n}`) }, { timeoutMs: 30_000, what: '5 dead letters' })
    const letters = await rabbit.drain(deadLetters)
    t.equal(letters.length, 5)
    const kindOf = (kind: string) => letters.filter((letter) => letter.headers?.['x-cleave-reason-kind'] === kind)
    const origin = { 'x-cleave-queue': queue, 'x-cleave-exchange': rabbit.exchange, 'x-cleave-routing-key': 'order.shipped' }

    const tooLarge = kindOf('too-large')
    t.equal(tooLarge.length, 2, 'both bodies past BODY_LIMIT_BYTES refused as too large')
    t.same(tooLarge.map((letter) => bytesOf(letter.body).length).sort((a, b) => a - b), [limit + 1, Buffer.byteLength(large)], 'each kept unchanged')
    for (const letter of tooLarge) t.match(letter.headers, { 'x-cleave-reason': new RegExp(`^the body is ${bytesOf(letter.body).length} bytes, more than BODY_LIMIT_BYTES \\(${limit}\\)$`), ...origin })

    const [deepLetter] = kindOf('not-cloudevent')
    t.ok(deepLetter && bytesOf(deepLetter.body).equals(Buffer.from(deep)), '20,000 levels deep: dead-lettered unchanged')
    t.match(deepLetter?.headers?.['x-cleave-reason'], /^not a CloudEvent 1\.0: \/data\/extra(\/0)+ must not nest deeper than 100 levels$/)

    const [deepJsonLetter] = kindOf('content-type')
    t.match(deepJsonLetter, { contentType: 'application/json', headers: { 'x-cleave-reason': /^content-type "application\/json": .* \(the body, decoded by the client as JSON, nests too deep to copy\)$/, ...origin } })
    t.equal(bytesOf(deepJsonLetter?.body).length, 0)

    // Rebuilt from the envelope: the CloudEvent as the publisher sent it, with the handler's last error.
    const [failed] = kindOf('handler-failed')
    t.match(failed, { contentType: json, messageId: refusedId, type: 'order.shipped', durable: true, headers: origin })
    t.same(JSON.parse(bytesOf(failed?.body).toString()), refused, 'the CloudEvent the publisher sent')
    t.match(failed?.headers?.['x-cleave-reason'], new RegExp(`^notifications's handler failed for good after ${attempts} attempts: .*the carrier refuses the parcel`))
    t.notMatch(failed?.headers?.['x-cleave-reason'], /Refusing|R1/, 'the reason quotes the error, not the values written')

    const queueJobs = app.events.queues().find((one) => one.name === 'events-notifications')
    if (queueJobs) t.ok(await queueJobs.getJob(`shipping/${refusedId}`).then((job) => job?.isFailed()), 'on BullMQ the job stays in the failed set too')
    // In-process, a relayed event is handled (or failed for good) by the time it is marked sent.
    await until(async () => (await queryRows<{ sent_at: number | null }>(users, "select sent_at from outbox where id = 'bad-event'"))[0]?.sent_at, { what: 'the bad user.created relayed' })
    if (queueJobs) await until(async () => (await queueJobs.getJob('bad-event'))?.isFailed(), { what: 'the bad user.created failed' })
    t.equal(await metric(app, 'cleave_amqp_dead_lettered_total{module="notifications",reason="too-large"}'), 2)
    t.equal(await metric(app, 'cleave_amqp_dead_lettered_total{module="notifications",reason="handler-failed"}'), 1)

    // Whatever the consumer still held unacknowledged would go back to the queue as it stops.
    await app.close()
    t.equal(await rabbit.messageCount(queue), 0, 'every message was acknowledged')
    t.equal(await rabbit.messageCount(deadLetters), 0, 'each dead-lettered once, and Cleave\'s own user.created failed for good is not')
  })
}

/** Holds a lock on the notifications table from outside the app (PostgreSQL), until the returned function is called. */
async function lockNotifications (app: App): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: app.config.databaseUrls.notifications })
  await client.connect()
  await client.query('begin')
  await client.query('lock table notifications.notifications in exclusive mode')
  return async () => {
    await client.query('rollback')
    await client.end()
  }
}

// better-sqlite3 waits for a lock synchronously, blocking the event loop: only PostgreSQL can hold a job running while the app closes.
t.test('BullMQ: an external event whose handler fails for good as the app shuts down still reaches the dead-letter queue', { skip: testDialect() !== 'postgres' && 'PostgreSQL only (the dialect matrix, second run)' }, async (t) => {
  const rabbit = await testRabbit(t)
  const queue = rabbit.track(`${rabbit.exchange}.notifications`)
  const deadLetters = rabbit.track(`${rabbit.exchange}.dead-letter`)
  const app = await buildTestApp(t, { modules: ['notifications'], env: { ...rabbit.env, ...await modes['BullMQ on Redis']!(t), JOB_ATTEMPTS: '1' } })
  await app.ready()
  await until(() => rabbit.messageCount(queue).then(() => true, () => false), { what: 'the notifications queue declared' })
  await refuseCarrier(app, 'Refusing')
  const release = await lockNotifications(app)
  const id = `refused-${randomUUID()}`
  await rabbit.publish('order.shipped', JSON.stringify(shipped(id, { orderId: 9, userId: 3, carrier: 'Refusing', trackingCode: 'R1' })), { contentType: 'application/cloudevents+json' })
  const jobs = app.events.queues().find((one) => one.name === 'events-notifications')!
  await until(async () => (await jobs.getActive()).length === 1, { what: 'its job running, held by the lock' })

  // The consumers and relays stop; the worker waits for its job, which fails once the lock is gone.
  const closing = app.close()
  await sleep(300)
  await release()
  await closing
  const [letter] = await rabbit.drain(deadLetters).catch(() => [])
  t.match(letter?.headers, { 'x-cleave-reason-kind': 'handler-failed', 'x-cleave-reason': /^notifications's handler failed for good after 1 attempt: .*the carrier refuses the parcel/ })
  t.equal(letter?.messageId, id)
})
