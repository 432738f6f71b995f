import t, { type Test } from 'tap'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { AlreadyShipped, ShipmentNotFound } from '../../../src/modules/shipping/contract.js'
import { buildTestApp } from '../../helpers/app.js'
import { startRedis } from '../../helpers/redis.js'
import { until } from '../../helpers/until.js'

// A Cleave module calls an external one (shipping) through its typed client as it calls any
// remote module: found by static or Redis discovery, its declared problem codes thrown as the
// contract's errors. The service here is a bare Node server that knows nothing of Cleave.

async function shippingService (t: Test): Promise<string> {
  const shipped = new Set<number>([7])
  const problem = (status: number, code: string, detail: string) => JSON.stringify({ type: `urn:example:${code}`, title: 'refused', status, code, detail })
  const server = createServer((request, response) => {
    let text = ''
    request.on('data', (chunk) => { text += chunk })
    request.on('end', () => {
      const id = Number(/^\/shipments\/(\d+)$/.exec(request.url ?? '')?.[1])
      const body = request.method === 'POST' ? JSON.parse(text) as { orderId: number, userId: number, carrier: string } : undefined
      const shipment = (orderId: number, userId = 1, carrier = 'post') => JSON.stringify({ orderId, userId, carrier, trackingCode: `T${orderId}`, shippedAt: new Date().toISOString() })
      if (request.method === 'GET' && shipped.has(id)) return response.writeHead(200, { 'content-type': 'application/json' }).end(shipment(id))
      if (request.method === 'GET') return response.writeHead(404, { 'content-type': 'application/problem+json' }).end(problem(404, 'CLV_SHIPPING_NOT_FOUND', `No shipment for order ${id}`))
      if (body && shipped.has(body.orderId)) return response.writeHead(409, { 'content-type': 'application/problem+json' }).end(problem(409, 'CLV_SHIPPING_ALREADY_SHIPPED', `Order ${body.orderId} is already shipped`))
      if (body) {
        shipped.add(body.orderId)
        return response.writeHead(201, { 'content-type': 'application/json', location: `/shipments/${body.orderId}` }).end(shipment(body.orderId, body.userId, body.carrier))
      }
      response.writeHead(404).end()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

t.test('static discovery: typed calls, and the declared problem codes as the contract\'s errors', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'], env: { SERVICE_SHIPPING_URL: await shippingService(t) } })
  t.match(await app.clients.shipping.getShipment({ params: { orderId: 7 } }), { orderId: 7, trackingCode: 'T7' })
  const shipment = await app.clients.shipping.shipOrder({ body: { orderId: 8, userId: 2, carrier: 'dhl' } })
  t.match(shipment, { orderId: 8, userId: 2, carrier: 'dhl' })
  await t.rejects(app.clients.shipping.getShipment({ params: { orderId: 9 } }), ShipmentNotFound)
  await t.rejects(app.clients.shipping.shipOrder({ body: { orderId: 8, userId: 2, carrier: 'dhl' } }), AlreadyShipped)
  await t.rejects(app.clients.shipping.getShipment({ params: { orderId: 9 } }), { message: 'No shipment for order 9' }, 'the service\'s own detail')
})

t.test('Redis discovery: registered with raw commands, as a service in another language does', async (t) => {
  const [redis, shipping] = [await startRedis(t), await shippingService(t)]
  const prefix = `cleave-test-${randomUUID()}:`
  const app = await buildTestApp(t, { modules: ['users'], env: { DISCOVERY: 'redis', REDIS_URL: redis.url, REDIS_PREFIX: prefix, DISCOVERY_TTL_MS: '1500' } })
  const other = new Redis(redis.url)
  t.teardown(() => other.quit())
  // What docs/guides/other-languages.md, "Where it runs", tells such a service to do: ZADD, with the expiry from the server's clock.
  const key = `${prefix}instances:shipping`
  const member = `${randomUUID()} ${shipping}`
  const [seconds] = await other.time()
  await other.zadd(key, String(Number(seconds) * 1000 + 60_000), member)
  t.match(await until(() => app.clients.shipping.getShipment({ params: { orderId: 7 } }).catch(() => undefined), { what: 'shipping found in Redis' }), { orderId: 7 })

  await other.zrem(key, member)
  const refused = await until(() => app.clients.shipping.getShipment({ params: { orderId: 7 } }).then(() => undefined, (error: { statusCode?: number, code?: string }) => error), { what: 'shipping gone once withdrawn' })
  t.match(refused, { statusCode: 503, code: 'CLV_DEPENDENCY_UNAVAILABLE' })
})
