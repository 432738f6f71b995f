import type { Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { serviceUrlKey } from '../../src/platform/config/module-keys.js'
import { tempDir } from '../helpers/app.js'
import { databaseEnv } from '../helpers/database.js'
import { freePort, startProcess, type RunningProcess } from '../helpers/process.js'
import { until } from '../helpers/until.js'

export const serviceModules = ['hello', 'orders', 'proxy', 'users']

/** What the API suite covers: the services, plus the modules that live on events. */
export const suiteModules = [...serviceModules, 'notifications', 'tasks']

/** Every split signs its internal calls, as deployments do; the one process runs without. */
export const splitSecret = 'topology-test-secret-0123456789abcdef'

export async function startMonolith (t: Test, env: Record<string, string> = {}) {
  return startProcess(t, 'server', { DATA_DIR: tempDir(t), LOG_LEVEL: 'warn', MODULES: 'all', ...await databaseEnv(t), ...env })
}

export interface Split {
  gateway: RunningProcess
  services: Record<string, RunningProcess[]>
}

// One process per module plus the gateway, on loopback ports. Static discovery gives every
// process every module's URL(s); Redis discovery gives them the Redis and nothing else.
export async function startSplit (t: Test, options: { redis?: { url: string, prefix: string }, instances?: Record<string, number>, env?: Record<string, string>, modules?: string[] } = {}): Promise<Split> {
  const { modules = serviceModules } = options
  const dataDir = tempDir(t)
  const ports: Record<string, string[]> = {}
  for (const module of modules) {
    ports[module] = await Promise.all(Array.from({ length: options.instances?.[module] ?? 1 }, async () => String(await freePort())))
  }
  const discovery: Record<string, string> = options.redis
    ? { DISCOVERY: 'redis', REDIS_URL: options.redis.url, REDIS_PREFIX: options.redis.prefix, DISCOVERY_TTL_MS: '1500' }
    : Object.fromEntries(modules.map((module) => [serviceUrlKey(module), ports[module].map((port) => `http://127.0.0.1:${port}`).join(',')]))
  const common = { DATA_DIR: dataDir, LOG_LEVEL: 'info', SERVICE_SECRET: splitSecret, ...await databaseEnv(t), ...discovery, ...options.env }

  // One after another: on a busy machine, seven processes starting at once can each miss their start-up budget.
  const services: Record<string, RunningProcess[]> = {}
  for (const module of modules) {
    services[module] = []
    for (const port of ports[module]) services[module].push(await startProcess(t, 'server', { ...common, MODULES: module, PORT: port }))
  }
  const gateway = await startProcess(t, 'gateway', { ...common, MODULES: 'all' })
  return { gateway, services }
}

/**
 * The path a traced request takes: gateway → orders → (client call) users, and orders' events
 * through Redis to notifications; one process each, Redis discovery. Ada is created through the
 * gateway once everything answers.
 */
export async function startTracedSplit (t: Test, redisUrl: string, env: Record<string, string> = {}) {
  const shared = { DATA_DIR: tempDir(t), LOG_LEVEL: 'info', DISCOVERY: 'redis', REDIS_URL: redisUrl, REDIS_PREFIX: `cleave-test-${randomUUID()}:`, DISCOVERY_TTL_MS: '1500', ...env }
  const [users, orders, notifications] = await Promise.all(['users', 'orders', 'notifications'].map((module) => startProcess(t, 'server', { ...shared, MODULES: module })))
  const gateway = await startProcess(t, 'gateway', { ...shared, MODULES: 'users,orders,notifications' })
  const created = await until(async () => {
    const res = await fetch(`${gateway.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }) })
    return res.status === 201 && res
  }, { what: 'users reachable through the gateway' })
  const user = await created.json() as { id: number }
  return { users, orders, notifications, gateway, user }
}
