// npm run check:deploy: the deployment files against the module graph. The real files pass; copies
// with one gap each fail with one line naming the file, the process and the setting.
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { checkDeploy } from '../../scripts/check-deploy.js'
import { tempDir } from '../helpers/app.js'
import { projectRoot } from '../helpers/process.js'
import { registry } from '../helpers/modules.js'

// A copy of deploy/ with one file edited.
function copyWith (t: Test, file: string, edit: (text: string) => string): string {
  const root = tempDir(t, 'cleave-deploy-')
  cpSync(join(projectRoot, 'deploy'), join(root, 'deploy'), { recursive: true })
  const path = join(root, 'deploy', file)
  const before = readFileSync(path, 'utf8')
  const after = edit(before)
  if (after === before) throw new Error(`the edit changed nothing in ${file}`)
  writeFileSync(path, after)
  return root
}

t.test('the deployment files give every process what its modules need', async (t) => {
  const { checked, problems } = checkDeploy(registry, projectRoot)
  t.same(problems, [])
  t.same(checked.map((deployment) => deployment.source), ['deploy/compose.yaml (profile monolith)', 'deploy/compose.yaml (profile postgres)', 'deploy/compose.yaml (profile split)', 'deploy/k8s', 'deploy/k8s/overlays/postgres'], 'every Compose profile and every Kubernetes rendering')
  const split = checked.find((deployment) => deployment.source === 'deploy/compose.yaml (profile split)')!
  t.same(split.processes.map((process) => `${process.name} ${process.role}`).sort(), [
    'service gateway gateway', 'service hello server', 'service notifications server', 'service notifications-worker worker', 'service orders server',
    'service proxy server', 'service tasks server', 'service tasks-worker worker', 'service users server'
  ], 'the split\'s processes and their roles')
})

t.test('a URL removed: the caller and the gateway say which setting is missing', async (t) => {
  const root = copyWith(t, 'compose.yaml', (text) => text.replace('  SERVICE_USERS_URL: http://users:3000\n', ''))
  const { problems } = checkDeploy(registry, root)
  t.ok(problems.includes('deploy/compose.yaml (profile split): service orders: SERVICE_USERS_URL: orders calls users, which this process does not mount: set SERVICE_USERS_URL (or DISCOVERY=redis), or add users to MODULES'), 'orders cannot reach users')
  t.ok(problems.includes('deploy/compose.yaml (profile split): service gateway: SERVICE_USERS_URL: the gateway routes users: set SERVICE_USERS_URL (or DISCOVERY=redis)'), 'the gateway cannot route users')
  t.ok(problems.includes('deploy/compose.yaml (profile postgres): service orders-pg: SERVICE_USERS_URL: orders calls users, which this process does not mount: set SERVICE_USERS_URL (or DISCOVERY=redis), or add users to MODULES'), 'in the postgres profile too')
  t.notOk(problems.some((problem) => problem.includes('(profile monolith)')), 'the monolith mounts users itself')
})

t.test('a Redis URL removed: workers, and the publishers and handlers of events across processes', async (t) => {
  const root = copyWith(t, 'k8s/base/config.yaml', (text) => text.replace('  REDIS_URL: redis://redis:6379\n', ''))
  const { problems } = checkDeploy(registry, root)
  t.ok(problems.includes('deploy/k8s: Deployment notifications-worker: REDIS_URL: a worker consumes the event queues in Redis: set REDIS_URL'))
  t.ok(problems.includes('deploy/k8s: Deployment users: REDIS_URL: users publishes user.created, which notifications handles in Deployment notifications-worker: set REDIS_URL'))
  t.ok(problems.includes('deploy/k8s: Deployment notifications-worker: REDIS_URL: notifications handles user.created, published by users in Deployment users: set REDIS_URL'))
  t.ok(problems.some((problem) => problem.startsWith('deploy/k8s/overlays/postgres: Deployment users: REDIS_URL')), 'the overlay inherits the gap')
  t.notOk(problems.some((problem) => problem.includes('Deployment hello:')), 'hello publishes and handles nothing')
})

t.test('a misspelt module: the process that names it, and the URL that now leads nowhere useful', async (t) => {
  const root = copyWith(t, 'k8s/base/orders.yaml', (text) => text.replace('value: "orders"', 'value: "order"'))
  const { problems } = checkDeploy(registry, root)
  t.ok(problems.includes('deploy/k8s: Deployment orders: MODULES: "order" is no module (modules: hello, notifications, orders, proxy, tasks, users)'))
  t.ok(problems.includes('deploy/k8s: Deployment gateway: SERVICE_ORDERS_URL: http://orders:3000 leads to Deployment orders, which does not mount orders'))
})

t.test('a URL to a host no process answers to, and a setting named after no module', async (t) => {
  const root = copyWith(t, 'compose.yaml', (text) => text.replace('SERVICE_HELLO_URL: http://hello:3000', 'SERVICE_HELLO_URL: http://helo:3000\n  SERVICE_USER_URL: http://users:3000'))
  const { problems } = checkDeploy(registry, root)
  t.ok(problems.includes('deploy/compose.yaml (profile split): service proxy: SERVICE_HELLO_URL: http://helo:3000 leads to no service of this deployment'))
  t.ok(problems.includes('deploy/compose.yaml (profile split): service proxy: SERVICE_USER_URL names no module (modules: hello, notifications, orders, proxy, shipping, tasks, users)'))
})

t.test('npm run check:deploy: one line per gap on stderr, exit 1; a summary and exit 0 when none', async (t) => {
  const run = (root: string) => spawnSync('npm', ['run', '--silent', 'check:deploy', '--', root], { cwd: projectRoot, encoding: 'utf8' })
  const good = run(projectRoot)
  t.equal(good.status, 0, good.stderr)
  t.match(good.stdout, /^deploy\/compose\.yaml \(profile monolith\), .*deploy\/k8s\/overlays\/postgres: \d+ processes, each reaches what it needs\n$/)
  const bad = run(copyWith(t, 'compose.yaml', (text) => text.replace('  SERVICE_USERS_URL: http://users:3000\n', '')))
  t.equal(bad.status, 1)
  t.match(bad.stderr, /^deploy\/compose\.yaml \(profile split\): service orders: SERVICE_USERS_URL: orders calls users/m)
  t.match(bad.stdout, /: \d+ processes, \d+ gaps\n$/)
})
