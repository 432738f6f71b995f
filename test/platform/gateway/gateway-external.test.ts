import t, { type Test } from 'tap'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadConfig } from '../../../src/platform/config/config.js'
import { buildGateway } from '../../../src/platform/app/build-gateway.js'
import { startRedis } from '../../helpers/redis.js'
import { registry } from '../../helpers/modules.js'

// An external module (shipping) is routed by the gateway with no option asking for it, listed
// in its /health, and shown in /docs/json from contracts/shipping.json, since its service
// (any language; here a bare Node server) serves no document of its own.

async function shippingService (t: Test): Promise<string> {
  const server = createServer((request, response) => {
    if (request.url === '/shipments/7') {
      response.setHeader('content-type', 'application/json').end(JSON.stringify({ orderId: 7, userId: 1, carrier: 'post', trackingCode: 'T7', shippedAt: new Date().toISOString() }))
      return
    }
    response.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>')
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

t.test('the gateway routes external modules by default, lists them in /health and /docs', async (t) => {
  t.ok(registry.external.includes('shipping'), 'shipping is external')
  const shipping = await shippingService(t)
  const gateway = await buildGateway(loadConfig({ LOG_LEVEL: 'silent', MODULES: 'hello', SERVICE_SHIPPING_URL: shipping }, registry), registry)
  t.teardown(() => gateway.close())

  const routed = await gateway.inject('/shipments/7')
  t.equal(routed.statusCode, 200)
  t.match(routed.json(), { orderId: 7, carrier: 'post' })

  const report = (await gateway.inject('/health')).json()
  t.same(report.upstreams, { hello: [], shipping: [shipping] }, 'the configured modules and every external one')

  const doc = (await gateway.inject('/docs/json')).json()
  t.equal(doc.paths['/shipments/{orderId}']?.get?.operationId, 'shipping.getShipment', 'from contracts/shipping.json')
  t.ok(doc.paths['/shipments']?.post?.responses['409'], 'with its declared errors')
  t.ok(doc.paths['/shipments']?.post?.responses['503'], 'and the gateway\'s own refusals')
  t.ok(doc.tags.some((tag: { name: string }) => tag.name === 'shipping'), 'under its tag')
  t.match(doc.info.description, /no instance answered: hello/, 'a module with no instance is still missing, not made up')
})

t.test('an external module no discovery can find is not part of the deployment', async (t) => {
  const gateway = await buildGateway(loadConfig({ LOG_LEVEL: 'silent', MODULES: 'hello' }, registry), registry)
  t.teardown(() => gateway.close())
  t.equal((await gateway.inject('/shipments/7')).statusCode, 404, 'not routed: no SERVICE_SHIPPING_URL with static discovery')
  t.same((await gateway.inject('/health')).json().upstreams, { hello: [] })
  const metrics = (await gateway.inject('/metrics')).body
  t.notMatch(metrics, /cleave_target_instances\{target="shipping"\}/, 'no target without instances to alert on')
  t.match(metrics, /cleave_target_instances\{target="hello"\} 0/)
})

t.test('with Redis discovery an external module is routed before any instance registers', async (t) => {
  const redis = await startRedis(t)
  const gateway = await buildGateway(loadConfig({ LOG_LEVEL: 'silent', MODULES: 'hello', DISCOVERY: 'redis', REDIS_URL: redis.url }, registry), registry)
  t.teardown(() => gateway.close())
  t.same((await gateway.inject('/health')).json().upstreams, { hello: [], shipping: [] }, 'routed: it may register at any moment')
  t.equal((await gateway.inject('/shipments/7')).statusCode, 503, 'no instance yet: a 503, not an unknown route')
})
