// dialects: sqlite postgres
// examples/shipping, the Python (Flask + pika) implementation of the external shipping module,
// beside Cleave: its HTTP contract answered, and its order.shipped reaching notifications.
import t from 'tap'
import { join } from 'node:path'
import { buildTestApp, tempDir } from '../helpers/app.js'
import { freePort } from '../helpers/process.js'
import { rabbitmqUrl, runPython, testRabbit } from '../helpers/rabbitmq.js'
import { until } from '../helpers/until.js'

t.test('POST /shipments on the Python service ships the order, and notifications records it', async (t) => {
  const rabbit = await testRabbit(t)
  rabbit.track(`${rabbit.exchange}.notifications`)
  rabbit.track(`${rabbit.exchange}.dead-letter`)
  const port = await freePort()
  const shipping = `http://127.0.0.1:${port}`
  // Cleave first: the notifications queue must exist before shipping publishes, or the
  // exchange has nowhere to route order.shipped.
  const app = await buildTestApp(t, { modules: ['users', 'notifications'], env: { ...rabbit.env, SERVICE_SHIPPING_URL: shipping, RELAY_INTERVAL_MS: '50' } })
  await app.ready()
  await until(() => rabbit.messageCount(`${rabbit.exchange}.notifications`).then(() => true, () => false), { what: 'the notifications queue declared' })

  runPython(t, 'examples/shipping/app.py', [], { env: { PORT: String(port), SHIPPING_DB: join(tempDir(t), 'shipping.sqlite'), AMQP_URL: rabbitmqUrl, AMQP_EXCHANGE: rabbit.exchange } })
  await until(() => fetch(`${shipping}/shipments/1`).then((res) => res.status === 404, () => false), { timeoutMs: 30_000, what: 'the Python service answering' })

  const ship = (body: unknown) => fetch(`${shipping}/shipments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const created = await ship({ orderId: 42, userId: 7, carrier: 'DHL' })
  t.equal(created.status, 201)
  t.equal(created.headers.get('location'), '/shipments/42')
  const shipment = await created.json() as { orderId: number, userId: number, carrier: string, trackingCode: string, shippedAt: string }
  t.match(shipment, { orderId: 42, userId: 7, carrier: 'DHL', trackingCode: /^[0-9A-F]{10}$/ })
  t.equal(new Date(shipment.shippedAt).toISOString(), shipment.shippedAt)

  const again = await ship({ orderId: 42, userId: 7, carrier: 'UPS' })
  t.equal(again.status, 409)
  t.equal(again.headers.get('content-type'), 'application/problem+json')
  t.match(await again.json(), { status: 409, code: 'CLV_SHIPPING_ALREADY_SHIPPED' })
  const bad = await ship({ orderId: 'x', carrier: '' })
  t.equal(bad.status, 400)
  t.equal(bad.headers.get('content-type'), 'application/problem+json')
  t.match(await bad.json(), { code: 'CLV_VALIDATION', errors: [{ in: 'body', field: '/userId' }, { in: 'body', field: '/orderId' }, { in: 'body', field: '/carrier' }] })
  const missing = await fetch(`${shipping}/shipments/43`)
  t.equal(missing.status, 404)
  t.match(await missing.json(), { status: 404, code: 'CLV_SHIPPING_NOT_FOUND' })
  t.same(await (await fetch(`${shipping}/shipments/42`)).json(), shipment)
  // A Cleave module reaches it through its contract's typed client, as any remote module.
  t.same(await app.clients.shipping.getShipment({ params: { orderId: 42 } }), shipment, 'the typed client reads it')

  const [note] = await until(async () => {
    const list = (await app.inject('/notifications?userId=7')).json() as Array<{ kind: string, message: string, eventId: string }>
    return list.length > 0 && list
  }, { what: 'the shipping notification in Cleave' })
  t.match(note, { kind: 'shipping', message: `Order #42 shipped with DHL (tracking ${shipment.trackingCode})`, eventId: /^shipping\/[0-9a-f-]{36}$/ })
  t.equal((await app.inject('/notifications?userId=7')).json().length, 1, 'the 409 published nothing')
})
