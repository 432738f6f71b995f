// dialects: sqlite postgres
// RabbitMQ taken away from the app (a TCP proxy between them, cut) while users are created.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { ConfigError, loadConfig } from '../../../src/platform/config/config.js'
import { envelopeOf, type CloudEvent } from '../../../src/platform/events/amqp/cloud-event.js'
import { createDeadLetters } from '../../../src/platform/events/amqp/dead-letter.js'
import { createInboundConsumers } from '../../../src/platform/events/amqp/inbound.js'
import { createAmqpMetrics } from '../../../src/platform/events/amqp/metrics.js'
import { buildEventCatalog } from '../../../src/platform/events/catalog.js'
import { createRedisEventTransport } from '../../../src/platform/events/redis-transport.js'
import { buildTestApp, tempDir } from '../../helpers/app.js'
import { queryRows } from '../../helpers/database.js'
import { logLine, startProcess } from '../../helpers/process.js'
import { testRabbit } from '../../helpers/rabbitmq.js'
import { startRedis } from '../../helpers/redis.js'
import { startTcpProxy } from '../../helpers/tcp-proxy.js'
import { until } from '../../helpers/until.js'
import { registry } from '../../helpers/modules.js'

t.test('RabbitMQ lost mid-traffic: events wait in the outbox, and each is published once when it is back', async (t) => {
  const rabbit = await testRabbit(t)
  // The watcher's queue is on the broker itself, which stays up: only the app loses it.
  const watcher = await rabbit.bindQueue('watcher', ['user.created'])
  const proxy = await startTcpProxy(t, { host: '127.0.0.1', port: 5672 })
  const app = await buildTestApp(t, { modules: ['users'], env: { AMQP_URL: `amqp://guest:guest@127.0.0.1:${proxy.port}`, AMQP_EXCHANGE: rabbit.exchange, RELAY_INTERVAL_MS: '50' } })
  const users = app.databases.get('users')!
  const pending = async () => Number((await queryRows<{ n: number }>(users, 'select count(*) as n from outbox where sent_at is null'))[0]!.n)
  const amqpHealth = async () => (await app.inject('/health')).json().amqp?.connection
  const createUser = (i: number) => app.inject({ method: 'POST', url: '/users', payload: { name: `User ${i}`, email: `user${i}@example.com` } })

  t.equal((await createUser(0)).statusCode, 201)
  await until(async () => await rabbit.messageCount(watcher) === 1, { what: 'the first event published' })
  // Confirmed first, marked sent right after.
  await until(async () => await pending() === 0, { what: 'the first event marked sent' })

  await proxy.cut()
  await until(async () => await amqpHealth() === 'down', { what: '/health showing RabbitMQ down' })
  const statuses: number[] = []
  for (let i = 1; i <= 30; i++) statuses.push((await createUser(i)).statusCode)
  t.same([...new Set(statuses)], [201], 'every create answered 201 while RabbitMQ was away')
  const waiting = await pending()
  t.equal(waiting, 30, 'the 30 events wait in the outbox, none marked sent')
  t.equal((await app.inject('/health/live')).statusCode, 200, 'alive')
  t.equal((await app.inject('/health/ready')).statusCode, 200, 'and ready: the outbox holds the events')

  await proxy.restore()
  await until(async () => await pending() === 0, { timeoutMs: 60_000, what: 'the outbox drained' })
  t.equal(await amqpHealth(), 'up')
  // A row is marked sent only once the broker confirmed it, and a confirmed message is in the
  // watcher's queue: what is there now is all there will be.
  const messages = await rabbit.drain(watcher)
  const ids = messages.map((message) => message.messageId)
  const rows = await queryRows<{ id: string }>(users, 'select id from outbox')
  t.equal(messages.length, 31, 'one message per event')
  t.same(new Set(ids), new Set(rows.map((row) => row.id)), 'every event, none twice')
})

t.test('Redis down when an external event arrives: the message waits unacknowledged and is handled once Redis is back', async (t) => {
  const rabbit = await testRabbit(t)
  const queue = rabbit.track(`${rabbit.exchange}.notifications`)
  rabbit.track(`${rabbit.exchange}.dead-letter`)
  const redis = await startRedis(t)
  const app = await buildTestApp(t, { modules: ['notifications'], env: { ...rabbit.env, REDIS_URL: redis.url, REDIS_PREFIX: `cleave-test-${randomBytes(6).toString('hex')}:`, RELAY_INTERVAL_MS: '50', JOB_BACKOFF_MS: '20' } })
  await app.ready()
  await until(() => rabbit.messageCount(queue).then(() => true, () => false), { what: 'the notifications queue declared' })

  await redis.stop()
  const id = `order-${randomBytes(4).toString('hex')}`
  const event = { specversion: '1.0', id, source: 'shipping', type: 'order.shipped', data: { orderId: 1, userId: 2, carrier: 'DHL', trackingCode: 'T1' } }
  await rabbit.publish('order.shipped', JSON.stringify(event), { contentType: 'application/cloudevents+json' })
  // Taken by the consumer (no longer ready in the queue), and held while its path is down.
  await until(async () => await rabbit.messageCount(queue) === 0, { what: 'the consumer holding the message' })
  t.equal((await app.inject('/health/live')).statusCode, 200, 'alive')

  await redis.start()
  const list = await until(async () => { const all = (await app.inject('/notifications')).json() as Array<{ eventId: string }>; return all.length > 0 && all }, { timeoutMs: 60_000, what: 'the notification once Redis is back' })
  t.same(list.map((one) => one.eventId), [`shipping/${id}`])
  t.equal(await rabbit.messageCount(queue), 0, 'acknowledged')
})

t.test('an event its delivery path can never take is dead-lettered at once; the events behind it are handed on', async (t) => {
  const rabbit = await testRabbit(t)
  const queue = rabbit.track(`${rabbit.exchange}.notifications`)
  const deadLetterQueue = rabbit.track(`${rabbit.exchange}.dead-letter`)
  const redis = await startRedis(t)
  const log = pino({ level: 'silent' })
  const catalog = buildEventCatalog(registry)
  const transport = createRedisEventTransport({ redisUrl: redis.url, prefix: `cleave-test-${randomBytes(6).toString('hex')}`, attempts: 1, backoffMs: 20, concurrency: 1, lockMs: 30_000, stalledIntervalMs: 30_000 }, catalog, log)
  t.teardown(() => transport.close())
  const metrics = createAmqpMetrics(new Registry(), rabbit.connection)
  const deadLetters = createDeadLetters({ connection: rabbit.connection, exchange: rabbit.exchange, metrics, log })
  t.teardown(() => deadLetters.close())
  // One message at a time: one retried for ever would hold the only slot, and none behind it would pass.
  const consumers = createInboundConsumers({ connection: rabbit.connection, exchange: rabbit.exchange, concurrency: 1, retryDelayMs: 20, deliverTo: transport.deliverTo, deadLetters, log, metrics })
  t.teardown(() => consumers.close())
  // As lax as the inbound check was before it refused nesting past 100 levels: BullMQ's own
  // JSON.stringify then threw "Maximum call stack size exceeded" on the real Redis path.
  const check = (message: { body: unknown }) => ({ event: envelopeOf(JSON.parse(String(message.body)) as CloudEvent) })
  consumers.start([{ module: 'notifications', events: ['order.shipped'], check }])
  await until(() => rabbit.messageCount(queue).then(() => true, () => false), { what: 'the notifications queue declared' })

  const shipped = (id: string, data: Record<string, unknown>) => JSON.stringify({ specversion: '1.0', id, source: 'shipping', type: 'order.shipped', data })
  const deep = shipped('deep', { orderId: 1, userId: 2, carrier: 'DHL', trackingCode: 'T0', extra: 'nested' }).replace('"nested"', `${'['.repeat(20_000)}${']'.repeat(20_000)}`)
  await rabbit.publish('order.shipped', deep, { contentType: 'application/cloudevents+json', messageId: 'deep' })
  const valid = ['one', 'two', 'three']
  for (const [i, id] of valid.entries()) await rabbit.publish('order.shipped', shipped(id, { orderId: 2 + i, userId: 2, carrier: 'DHL', trackingCode: `T${i + 1}` }), { contentType: 'application/cloudevents+json' })

  const jobs = transport.queues().find((one) => one.name === 'events-notifications')!
  const waiting = await until(async () => { const all = await jobs.getWaiting(); return all.length === valid.length && all }, { what: 'the valid events handed to BullMQ' })
  t.same(waiting.map((job) => job.id).sort(), valid.map((id) => `shipping/${id}`).sort(), 'the events behind it were handed on')
  await until(async () => await rabbit.messageCount(deadLetterQueue).catch(() => 0) === 1, { what: 'the dead letter' })
  const [letter] = await rabbit.drain(deadLetterQueue)
  t.equal(String(letter?.body), deep, 'dead-lettered unchanged')
  t.match(letter?.headers, { 'x-cleave-reason-kind': 'undeliverable', 'x-cleave-reason': "notifications's delivery path cannot take it: RangeError: Maximum call stack size exceeded", 'x-cleave-queue': queue })
  t.equal(await rabbit.messageCount(queue), 0, 'nothing left in the queue')
})

function loadConfigError (env: Record<string, string>): string {
  try {
    loadConfig(env, registry)
  } catch (error) {
    if (error instanceof ConfigError) return error.message
  }
  throw new Error('the configuration was accepted')
}

t.test('the password in AMQP_URL is never logged nor echoed, whatever the broker answers', async (t) => {
  const password = `pw-${randomBytes(8).toString('hex')}`
  const bad = loadConfigError({ AMQP_URL: `http://cleave:${password}@127.0.0.1:5672` })
  t.match(bad, /AMQP_URL: expected an amqp:\/\/ .* got a value of \d+ characters \(not shown\)/)
  t.notOk(bad.includes(password), 'a bad URL is described, not shown')

  const rabbit = await testRabbit(t)
  // A user the broker does not know: it refuses the login, and the client reports it.
  const server = await startProcess(t, 'server', { MODULES: 'users', DATA_DIR: tempDir(t), AMQP_URL: `amqp://cleave:${password}@127.0.0.1:5672`, AMQP_EXCHANGE: rabbit.exchange, RELAY_INTERVAL_MS: '50', LOG_LEVEL: 'debug' })
  const created = await fetch(`${server.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }) })
  t.equal(created.status, 201)
  await logLine(server, 'the refused connection', (line) => /RabbitMQ: connection failed/.test(String(line.msg)))
  await logLine(server, 'the failed delivery', (line) => /outbox relay: delivery failed/.test(String(line.msg)))
  const answers = await Promise.all(['/health', '/metrics', '/health/ready'].map(async (path) => (await fetch(`${server.url}${path}`)).text()))
  t.match(JSON.parse(answers[0]!).amqp, { connection: 'down' })
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0, 'it shuts down cleanly with the broker refusing it')
  const everything = [...server.logs.map((line) => JSON.stringify(line)), ...answers].join('\n')
  t.notOk(everything.includes(password), 'the password appears in no log line and no answer')
})
