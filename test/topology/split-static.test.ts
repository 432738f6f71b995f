// dialects: sqlite postgres
import t from 'tap'
import { apiSuite } from './api-suite.js'
import { startSplit, suiteModules } from './topologies.js'

t.test('one process per module behind the gateway, static discovery', async (t) => {
  // No Redis: events cannot reach a process of notifications' own, which would refuse to start
  // (test/platform/config/config.test.ts); tasks handles its own in-process.
  const modules = suiteModules.filter((module) => module !== 'notifications')
  const { gateway, services } = await startSplit(t, { modules })
  await apiSuite(t, gateway.url, { modules })

  // The suite passed through the gateway; these prove the calls really crossed processes.
  t.ok(services.hello[0].logs.some((line) => line.route === '/service' && line.status === 200), 'hello served /service')
  const orderRequest = services.orders[0].logs.find((line) => line.reqId === 'suite-order')
  t.ok(orderRequest, 'orders logged the request with the caller\'s id')
  t.ok(services.users[0].logs.some((line) => line.reqId === 'suite-order' && line.route === '/users/:id'), 'users saw the same request id on the cross-module call')
})
