// dialects: sqlite postgres
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { startRedis } from '../helpers/redis.js'
import { apiSuite } from './api-suite.js'
import { startSplit, suiteModules } from './topologies.js'

t.test('one process per module behind the gateway, Redis discovery, two users instances', async (t) => {
  const redis = await startRedis(t)
  const { gateway, services } = await startSplit(t, { redis: { url: redis.url, prefix: `cleave-test-${randomUUID()}:` }, instances: { users: 2 }, modules: suiteModules })
  await apiSuite(t, gateway.url)
  for (let i = 0; i < 10; i++) await fetch(`${gateway.url}/users?limit=1`)
  for (const [n, instance] of services.users.entries()) {
    t.ok(instance.logs.some((line) => line.route === '/users'), `users instance ${n + 1} took requests`)
  }
  for (const [module, [instance]] of Object.entries(services)) {
    t.notOk(instance.logs.some((line) => String(line.msg).startsWith('REDIS_URL is not set')), `${module} does not say REDIS_URL is unset`)
  }
})
