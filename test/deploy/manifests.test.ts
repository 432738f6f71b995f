// The deployment manifests know every module: a module added to src/modules without its Compose
// service and Kubernetes Deployment fails here. Modules, storage and subscriptions come from the code.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parse, parseAllDocuments } from 'yaml'
import { ConfigError, ConfigSchema, loadConfig, serviceUrlKey } from '../../src/platform/config/config.js'
import { moduleRegistry } from '../../src/platform/contracts/module-registry.js'
import { hasMigrations } from '../../src/platform/storage/migrations.js'
import { projectRoot } from '../helpers/process.js'

type Yaml = any

const { names: modules, contracts } = moduleRegistry
const stateful = modules.filter(hasMigrations)
const subscribers = modules.filter((module) => (contracts.get(module)?.events?.subscribes ?? []).length > 0)
const shutdownSeconds = ConfigSchema.properties.SHUTDOWN_TIMEOUT_MS.default / 1000
const drainSeconds = ConfigSchema.properties.DRAIN_DELAY_MS.default / 1000
/** Between the shutdown deadline and SIGKILL: time for the exit itself (flushing logs, closing files). */
const marginSeconds = 3
const bins = readdirSync(join(projectRoot, 'src/bin')).map((file) => `dist/bin/${file.replace(/\.ts$/, '.js')}`)

const read = (path: string) => readFileSync(join(projectRoot, path), 'utf8')

t.test('what the code says, so the checks below cover something', async (t) => {
  t.ok(modules.length >= 6, `modules: ${modules.join(', ')}`)
  t.ok(stateful.includes('users'), `stateful: ${stateful.join(', ')}`)
  t.ok(subscribers.includes('notifications'), `subscribers: ${subscribers.join(', ')}`)
})

t.test('compose.yaml', async (t) => {
  const compose: Yaml = parse(read('deploy/compose.yaml'), { merge: true })
  const services: Record<string, Yaml> = compose.services
  const inProfile = (profile: string) => Object.keys(services).filter((name) => services[name].profiles?.includes(profile))
  const cleave = Object.keys(services).filter((name) => services[name].image === services.cleave.image)

  t.same(inProfile('monolith').sort(), ['cleave', 'redis'])
  t.equal(services.cleave.environment.MODULES, 'all')
  t.ok(services.cleave.volumes.some((volume: string) => volume.endsWith(':/data')), 'the monolith keeps its data in a volume')

  const split = inProfile('split')
  t.same(split.sort(), ['gateway', 'redis', ...modules, ...subscribers.map((module) => `${module}-worker`)].sort(),
    'the split: gateway, one service per module, a worker per subscribing module, redis')
  t.same(services.gateway.command, ['node', 'dist/bin/gateway.js'])

  for (const module of modules) {
    const service = services[module]
    t.equal(service.environment.MODULES, module, `${module} mounts only ${module}`)
    t.equal(service.environment.REDIS_URL, 'redis://redis:6379', `${module} reaches redis`)
    t.equal(services.gateway.environment[serviceUrlKey(module)], `http://${module}:3000`, `the gateway finds ${module} by its service name`)
    t.equal(service.environment[serviceUrlKey(module)], `http://${module}:3000`, `static discovery is wired in ${module} too`)
    if (stateful.includes(module)) {
      t.ok(service.volumes?.includes(`${module}-data:/data`), `${module} keeps its SQLite file in a named volume`)
      t.ok(`${module}-data` in compose.volumes, `${module}-data is declared`)
    }
  }
  for (const module of subscribers) {
    const worker = services[`${module}-worker`]
    t.same(worker.command, ['node', 'dist/bin/worker.js'])
    t.equal(worker.environment.MODULES, module)
    t.ok(worker.environment.REDIS_URL, 'a worker needs redis')
    t.equal(services[module].environment.WORKERS, 'false', `${module}'s handlers run in its worker, not twice`)
    if (stateful.includes(module)) t.ok(worker.volumes?.includes(`${module}-data:/data`), `${module}-worker writes to ${module}'s volume`)
  }

  for (const name of cleave) {
    const service = services[name]
    if (service.command) t.ok(bins.includes(service.command[1]), `${name} runs an entrypoint that exists: ${service.command.join(' ')}`)
    t.match(service.healthcheck.test.join(' '), /fetch\('http:\/\/127\.0\.0\.1:3000\/health\/(ready|live)'\)/, `${name} has a healthcheck on /health`)
    const drain = Number(service.environment?.DRAIN_DELAY_MS ?? drainSeconds * 1000) / 1000
    const shutdown = Number(service.environment?.SHUTDOWN_TIMEOUT_MS ?? shutdownSeconds * 1000) / 1000
    t.ok(parseInt(service.stop_grace_period) >= drain + shutdown + marginSeconds, `${name}: stop_grace_period ${service.stop_grace_period} covers the drain (${drain} s) and the close (${shutdown} s) with a margin`)
  }
  t.ok(services.redis.healthcheck, 'redis has a healthcheck')
})

// Compose interpolation (${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}) of one
// value, enough to see what a variable becomes when it is unset: no docker compose here to ask.
function interpolate (value: string, env: Record<string, string | undefined>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (_, name: string, operator: string | undefined, word: string) => {
    const set = operator?.startsWith(':') ? Boolean(env[name]) : env[name] !== undefined
    if (set || operator === undefined) return env[name] ?? ''
    if (operator.endsWith('?')) throw new Error(`required variable ${name} is missing a value: ${word}`)
    return word
  })
}

t.test('compose.yaml: SERVICE_SECRET must be set, it has no published default', async (t) => {
  const text = read('deploy/compose.yaml')
  const compose: Yaml = parse(text, { merge: true })
  const uses = [...text.matchAll(/\$\{SERVICE_SECRET([^}]*)\}/g)].map((match) => match[1])
  t.ok(uses.length > 0, 'compose.yaml passes SERVICE_SECRET on')
  for (const use of uses) t.match(use, /^:\?\S/, `\${SERVICE_SECRET${use}} is required, with a message, and has no default`)
  for (const name of ['gateway', ...modules]) {
    const value = compose.services[name].environment.SERVICE_SECRET
    t.throws(() => interpolate(value, {}), /required variable SERVICE_SECRET/, `${name}: Compose stops when SERVICE_SECRET is unset`)
    t.throws(() => interpolate(value, { SERVICE_SECRET: '' }), /required variable SERVICE_SECRET/, `${name}: or empty`)
    const secret = 'a-secret-of-at-least-thirty-two-characters'
    t.equal(interpolate(value, { SERVICE_SECRET: secret }), secret, `${name} gets the one set`)
  }
})

t.test('k8s kustomize base', async (t) => {
  const dir = 'deploy/k8s'
  const kustomization: Yaml = parse(read(`${dir}/kustomization.yaml`))
  const files = readdirSync(join(projectRoot, dir)).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
  t.same([...kustomization.resources].sort(), files.sort(), 'kustomization.yaml lists every manifest')

  const objects: Yaml[] = files.flatMap((file) => parseAllDocuments(read(`${dir}/${file}`)).map((document) => {
    t.same(document.errors, [], `${file} parses`)
    return document.toJS()
  }))
  const find = (kind: string, name: string) => objects.find((object) => object.kind === kind && object.metadata.name === name)
  const config = find('ConfigMap', 'cleave')
  t.ok(config, 'one ConfigMap for the shared settings')

  function checkDeployment (name: string, { module, command }: { module?: string, command?: string }) {
    const deployment = find('Deployment', name)
    if (!t.ok(deployment, `a Deployment ${name}`)) return undefined
    const pod = deployment.spec.template.spec
    const [container] = pod.containers
    const env = Object.fromEntries((container.env ?? []).map(({ name, value }: { name: string, value: string }) => [name, value]))
    t.match(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels, `${name}: the selector matches its pods`)
    if (module) t.equal(env.MODULES, module, `${name} mounts ${module}`)
    t.same(container.command, command ? ['node', command] : undefined, `${name} runs ${command ?? 'the image\'s server'}`)
    if (command) t.ok(bins.includes(command), `${command} exists`)
    t.ok(container.envFrom?.some((source: Yaml) => source.configMapRef?.name === 'cleave'), `${name} gets the shared settings`)
    t.ok(container.envFrom?.some((source: Yaml) => source.secretRef?.name === 'cleave'), `${name} gets SERVICE_SECRET from the Secret`)
    const port = container.ports.find((candidate: Yaml) => candidate.name === 'http')
    t.equal(port?.containerPort, 3000)
    t.same(container.readinessProbe.httpGet, { path: '/health/ready', port: 'http' }, `${name}: readiness on /health/ready`)
    t.same(container.livenessProbe.httpGet, { path: '/health/live', port: 'http' }, `${name}: liveness on /health/live`)
    const setting = (key: 'DRAIN_DELAY_MS' | 'SHUTDOWN_TIMEOUT_MS') => Number(env[key] ?? config.data[key] ?? ConfigSchema.properties[key].default) / 1000
    const [drain, shutdown] = [setting('DRAIN_DELAY_MS'), setting('SHUTDOWN_TIMEOUT_MS')]
    t.ok(pod.terminationGracePeriodSeconds >= drain + shutdown + marginSeconds,
      `${name}: terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} covers the drain (${drain} s) and the close (${shutdown} s) with a margin`)
    t.notOk(container.lifecycle?.preStop, `${name}: no preStop hook; the process drains itself (a preStop sleep would add to the grace period and delay the withdrawal from discovery)`)
    const { periodSeconds = 10, failureThreshold = 3 } = container.readinessProbe
    if (command !== 'dist/bin/worker.js') t.ok(periodSeconds * failureThreshold < drain, `${name}: readiness notices a drain (${periodSeconds} s × ${failureThreshold}) before it ends (${drain} s)`)
    t.equal(pod.securityContext.runAsNonRoot, true)
    return { deployment, pod, container, env }
  }

  function checkService (name: string, podLabels: Record<string, string>) {
    const service = find('Service', name)
    if (!t.ok(service, `a Service ${name}`)) return
    t.match(podLabels, service.spec.selector, `Service ${name} selects the ${name} pods`)
    t.match(service.spec.ports, [{ port: 3000, targetPort: 'http' }])
  }

  function claimAtData (name: string, pod: Yaml, container: Yaml) {
    const mount = container.volumeMounts.find((candidate: Yaml) => candidate.mountPath === '/data')
    const volume = pod.volumes.find((candidate: Yaml) => candidate.name === mount?.name)
    return volume?.persistentVolumeClaim?.claimName as string | undefined
  }

  for (const module of modules) {
    const found = checkDeployment(module, { module })
    if (!found) continue
    checkService(module, found.deployment.spec.template.metadata.labels)
    t.equal(config.data[serviceUrlKey(module)], `http://${module}:3000`, `${serviceUrlKey(module)} points at the ${module} Service`)
    if (!stateful.includes(module)) continue
    t.equal(found.deployment.spec.replicas, 1, `${module}: one replica (one SQLite writer)`)
    t.equal(found.deployment.spec.strategy?.type, 'Recreate', `${module}: the old pod lets go of the file first`)
    const claim = claimAtData(module, found.pod, found.container)
    t.equal(claim, `${module}-data`, `${module} mounts its PVC at /data`)
    t.ok(find('PersistentVolumeClaim', `${module}-data`), `the PVC ${module}-data exists`)
  }
  for (const module of subscribers) {
    const found = checkDeployment(`${module}-worker`, { module, command: 'dist/bin/worker.js' })
    if (!found) continue
    t.equal(find('Deployment', module).spec.template.spec.containers[0].env.find((e: Yaml) => e.name === 'WORKERS')?.value, 'false', `${module}'s handlers run in its worker only`)
    if (stateful.includes(module)) t.equal(claimAtData(`${module}-worker`, found.pod, found.container), `${module}-data`, `${module}-worker mounts ${module}'s PVC`)
  }
  const gateway = checkDeployment('gateway', { command: 'dist/bin/gateway.js' })
  if (gateway) checkService('gateway', gateway.deployment.spec.template.metadata.labels)
  t.match(config.data.REDIS_URL, /^redis:\/\//)
  t.ok(find('Service', new URL(config.data.REDIS_URL).hostname), 'REDIS_URL names a Service in the base')

  // Redis keeps the queues (jobs, failures) and the runtime-config overrides across a restart.
  const redis = find('Deployment', 'redis')
  if (t.ok(redis, 'a Deployment redis')) {
    const pod = redis.spec.template.spec
    const container = pod.containers.find((candidate: Yaml) => candidate.name === 'redis')
    const args: string[] = container.args ?? []
    const option = (name: string) => args[args.indexOf(`--${name}`) + 1]
    t.equal(option('appendonly'), 'yes', 'redis writes an append-only file')
    const dir = option('dir') ?? '/data'
    const mount = container.volumeMounts?.find((candidate: Yaml) => candidate.mountPath === dir)
    const claim = pod.volumes?.find((candidate: Yaml) => candidate.name === mount?.name)?.persistentVolumeClaim?.claimName
    t.ok(claim, `redis's data dir ${dir} is on a PersistentVolumeClaim`)
    const pvc = find('PersistentVolumeClaim', claim)
    t.ok(pvc, `the PVC ${claim} exists`)
    if (pvc?.spec.accessModes.includes('ReadWriteOnce')) {
      t.equal(redis.spec.replicas, 1, 'redis: one replica on its ReadWriteOnce volume')
      t.equal(redis.spec.strategy?.type, 'Recreate', 'redis: the old pod lets go of the volume first')
    }
    t.equal(pod.securityContext?.runAsNonRoot, true, 'redis runs as its own user')
    t.ok(pod.securityContext?.fsGroup, 'and can write its volume')
  }
})

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0
t.test('kubectl kustomize renders the base, Redis with its AOF on its volume', { skip: kubectl ? false : 'no kubectl: the file checks above still ran' }, async (t) => {
  const rendered = spawnSync('kubectl', ['kustomize', join(projectRoot, 'deploy/k8s')], { encoding: 'utf8' })
  t.equal(rendered.status, 0, rendered.stderr)
  const objects: Yaml[] = parseAllDocuments(rendered.stdout).map((document) => document.toJS())
  const redis = objects.find((object) => object.kind === 'Deployment' && object.metadata.name === 'redis')
  const pod = redis?.spec.template.spec
  t.match(pod?.containers[0].args.join(' '), /--appendonly yes/)
  t.match(pod?.containers[0].volumeMounts, [{ mountPath: '/data' }])
  t.ok(objects.some((object) => object.kind === 'PersistentVolumeClaim' && object.metadata.name === pod?.volumes[0].persistentVolumeClaim?.claimName), 'its PVC is rendered too')
  t.equal(redis?.spec.strategy?.type, 'Recreate')
})

t.test('the CI workflow runs what .ci/run runs', async (t) => {
  const workflow: Yaml = parse(read('.github/workflows/ci.yml'))
  const job = workflow.jobs.test
  const runs = job.steps.map((step: Yaml) => step.run).filter(Boolean).join('\n')
  const ci = read('.ci/run')
  for (const command of ['npm ci', 'npm run typecheck', 'npm test']) {
    t.ok(ci.includes(command), `.ci/run: ${command}`)
    t.ok(runs.includes(command), `ci.yml: ${command}`)
  }
  t.match(runs, /apt-get install .*redis-server.*chromium.*prometheus/, 'ci.yml installs redis-server, chromium and promtool')
  for (const tool of ['redis-server', 'chromium', 'promtool']) t.ok(ci.includes(`command -v ${tool}`), `.ci/run installs ${tool} when it is missing`)
  t.match(ci, /missing\+=\(prometheus\)/, '.ci/run: promtool comes with Debian\'s prometheus package')
  t.ok(ci.includes('CLEAVE_REQUIRE_BROWSER=1'))
  t.equal(job.env.CLEAVE_REQUIRE_BROWSER, '1')
  t.same(job.strategy?.matrix?.node, [20, 22, 24], 'tests on Node 20 (the oldest supported) and the LTS lines 22 and 24')
  t.match(job.container, /^node:\$\{\{ matrix\.node \}\}-bookworm$/, 'each in the Debian image of that Node')
  t.ok(job.services.redis, 'a Redis service')
})

t.test('the committed Secret is a placeholder no process starts with', async (t) => {
  const secret = parse(readFileSync(join(projectRoot, 'deploy/k8s/secret.yaml'), 'utf8'))
  t.equal(secret.kind, 'Secret')
  t.throws(() => loadConfig({ SERVICE_SECRET: secret.stringData.SERVICE_SECRET }), ConfigError, 'a deployment that keeps it fails at start-up')
})
