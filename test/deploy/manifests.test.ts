// The deployment manifests know every module: a module added to src/modules without its Compose
// service and Kubernetes Deployment fails here. Modules, storage and subscriptions come from the code.
// Compose's postgres profile and the Kubernetes overlay deploy/k8s/overlays/postgres put every
// stateful module in PostgreSQL: several replicas, rolling updates, no volume.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parse, parseAllDocuments } from 'yaml'
import { ConfigError, ConfigSchema, loadConfig } from '../../src/platform/config/config.js'
import { serviceUrlKey } from '../../src/platform/config/module-keys.js'
import { hasMigrations } from '../../src/platform/storage/migrations.js'
import { projectRoot } from '../helpers/process.js'
import { registry } from '../helpers/modules.js'

type Yaml = any

const { names: modules, contracts } = registry
const stateful = modules.filter(hasMigrations)
const subscribers = modules.filter((module) => (contracts.get(module)?.events?.subscribes ?? []).length > 0)
const shutdownSeconds = ConfigSchema.properties.SHUTDOWN_TIMEOUT_MS.default / 1000
const drainSeconds = ConfigSchema.properties.DRAIN_DELAY_MS.default / 1000
/** Between the shutdown deadline and SIGKILL: time for the exit itself (flushing logs, closing files). */
const marginSeconds = 3
const bins = readdirSync(join(projectRoot, 'src/bin')).map((file) => `dist/bin/${file.replace(/\.ts$/, '.js')}`)
/** PostgreSQL's default max_connections (100) less superuser_reserved_connections (3). */
const postgresConnections = 97
const poolMaxDefault = ConfigSchema.properties.DATABASE_POOL_MAX.default
const goodSecret = 'a-secret-of-at-least-thirty-two-characters'

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
  const postgresProfile = Object.keys(compose.services).filter((name) => compose.services[name].profiles?.includes('postgres') && compose.services[name].environment?.SERVICE_SECRET)
  for (const name of new Set(['gateway', ...modules, ...postgresProfile])) {
    const value = compose.services[name].environment.SERVICE_SECRET
    t.throws(() => interpolate(value, {}), /required variable SERVICE_SECRET/, `${name}: Compose stops when SERVICE_SECRET is unset`)
    t.throws(() => interpolate(value, { SERVICE_SECRET: '' }), /required variable SERVICE_SECRET/, `${name}: or empty`)
    t.equal(interpolate(value, { SERVICE_SECRET: goodSecret }), goodSecret, `${name} gets the one set`)
  }
})

t.test('compose.yaml: the postgres profile', async (t) => {
  const compose: Yaml = parse(read('deploy/compose.yaml'), { merge: true })
  const services: Record<string, Yaml> = compose.services
  const profile = Object.keys(services).filter((name) => services[name].profiles?.includes('postgres'))
  // A stateful module (and its worker) has a service of its own here; the others are the split's.
  const serviceOf = (module: string) => stateful.includes(module) ? `${module}-pg` : module
  const workerOf = (module: string) => stateful.includes(module) ? `${module}-worker-pg` : `${module}-worker`
  t.same(profile.sort(), ['gateway-pg', 'postgres', 'redis', ...modules.map(serviceOf), ...subscribers.map(workerOf)].sort(),
    'postgres, redis, a gateway, one service per module (the stateful ones of their own), a worker per subscribing module')

  const postgres = services.postgres
  t.match(postgres.image, /^postgres:\d+(-[a-z]+)?$/, `the official image, its major version pinned: ${postgres.image}`)
  const data = postgres.volumes?.find((volume: string) => volume.endsWith(':/var/lib/postgresql/data'))?.split(':')[0]
  t.ok(data && data in compose.volumes, 'its data in a named volume')
  t.match(postgres.healthcheck?.test?.join(' '), /pg_isready/, 'a healthcheck')
  t.equal(interpolate(postgres.environment.POSTGRES_PASSWORD, {}), '', 'no default password: unset, the image refuses to initialise its volume')
  t.equal(interpolate(postgres.environment.POSTGRES_PASSWORD, { POSTGRES_PASSWORD: 'chosen' }), 'chosen', 'it takes the one set')

  // No password in the file: every DATABASE_URL is the variable, and unset it stops the module.
  const url = 'postgres://cleave:chosen@postgres:5432/cleave'
  function checkDatabaseUrl (name: string, environment: Yaml) {
    const value = environment.DATABASE_URL
    if (!t.ok(value, `${name} has a DATABASE_URL`)) return
    t.equal(interpolate(value, { DATABASE_URL: url }), url, `${name}: DATABASE_URL is the one set`)
    t.throws(() => loadConfig({ SERVICE_SECRET: goodSecret, MODULES: environment.MODULES, DATABASE_URL: interpolate(value, {}) }, registry), ConfigError,
      `${name}: DATABASE_URL unset, the process stops rather than fall back to a SQLite file in a container without a volume`)
  }

  let connections = 0
  for (const module of modules) {
    const service = services[serviceOf(module)]
    t.equal(service.environment.MODULES, module)
    t.equal(service.environment[serviceUrlKey(module)], `http://${module}:3000`, `${module}: the discovery map is the split's`)
    if (!stateful.includes(module)) continue
    const name = serviceOf(module)
    checkDatabaseUrl(name, service.environment)
    t.notOk(service.volumes?.some((volume: string) => volume.endsWith(':/data')), `${name}: no SQLite volume`)
    t.ok(service.networks?.default?.aliases?.includes(module), `${name} answers to ${module}, the name every process calls it by`)
    t.notOk(service.ports || service.container_name, `${name}: no published port nor container name, so it can run several replicas`)
    t.match(service.depends_on, { postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } }, `${name} starts once PostgreSQL answers`)
    if (subscribers.includes(module)) t.equal(service.environment.WORKERS, 'false', `${name}: its handlers run in its worker`)
    connections += (service.deploy?.replicas ?? 1) * Number(service.environment.DATABASE_POOL_MAX ?? poolMaxDefault)
  }
  for (const module of ['users', 'orders']) t.ok(services[`${module}-pg`].deploy?.replicas >= 2, `${module}-pg runs several replicas`)
  for (const module of subscribers) {
    const name = workerOf(module)
    const worker = services[name]
    t.same(worker.command, ['node', 'dist/bin/worker.js'])
    t.equal(worker.environment.MODULES, module)
    if (!stateful.includes(module)) continue
    checkDatabaseUrl(name, worker.environment)
    t.equal(worker.environment.DATABASE_URL, services[serviceOf(module)].environment.DATABASE_URL, `${name} uses ${module}'s DATABASE_URL`)
    t.notOk(worker.volumes, `${name}: no volume to share, it scales on its own`)
    connections += (worker.deploy?.replicas ?? 1) * Number(worker.environment.DATABASE_POOL_MAX ?? poolMaxDefault)
  }
  t.ok(connections <= postgresConnections, `replicas × DATABASE_POOL_MAX: ${connections} connections at most, within max_connections`)

  const gateway = services['gateway-pg']
  t.same(gateway.command, ['node', 'dist/bin/gateway.js'])
  t.same(gateway.ports, ['3000:3000'])
  t.same(Object.keys(gateway.depends_on).sort(), modules.map(serviceOf).sort(), 'the gateway waits for every module')
  for (const module of modules) t.equal(gateway.environment[serviceUrlKey(module)], `http://${module}:3000`)
})

t.test('k8s kustomize base', async (t) => {
  // deploy/k8s is the base as is; the manifests are in base/, so an overlay under deploy/k8s can refer to them.
  t.same(parse(read('deploy/k8s/kustomization.yaml')).resources, ['base'], 'kubectl apply -k deploy/k8s applies the base')
  const dir = 'deploy/k8s/base'
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
const overlay = 'deploy/k8s/overlays/postgres'
const databaseSecret = 'cleave-database'
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

t.test('k8s overlay postgres: its files', async (t) => {
  const kustomization: Yaml = parse(read(`${overlay}/kustomization.yaml`))
  t.ok(kustomization.resources.includes('../../base'), 'on top of the base')
  const files = readdirSync(join(projectRoot, overlay)).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
  const used = [...kustomization.resources, ...kustomization.patches.map((patch: Yaml) => patch.path)]
  t.same(files.filter((file) => !used.includes(file)), [], 'kustomization.yaml uses every file in the folder')
  for (const module of stateful) t.ok(kustomization.patches.some((patch: Yaml) => patch.path === `${module}.yaml`), `a patch for ${module}: ${module}.yaml`)
  const counts = Object.fromEntries(kustomization.replicas.map(({ name, count }: { name: string, count: number }) => [name, count]))
  for (const module of stateful) t.equal(counts[module], 2, `${module}: two replicas`)
  for (const module of subscribers.filter((module) => stateful.includes(module))) t.ok(counts[`${module}-worker`] >= 1, `${module}-worker: its own count`)
})

t.test('kubectl kustomize renders the postgres overlay: stateful modules on PostgreSQL, replicated, without volumes', { skip: kubectl ? false : 'no kubectl: the file checks above still ran' }, async (t) => {
  const rendered = spawnSync('kubectl', ['kustomize', join(projectRoot, overlay)], { encoding: 'utf8' })
  if (!t.equal(rendered.status, 0, rendered.stderr)) return
  const objects: Yaml[] = parseAllDocuments(rendered.stdout).map((document) => document.toJS())
  const find = (kind: string, name: string) => objects.find((object) => object.kind === kind && object.metadata.name === name)
  const redisClaims = find('Deployment', 'redis').spec.template.spec.volumes.map((volume: Yaml) => volume.persistentVolumeClaim?.claimName).filter(Boolean)
  t.same(objects.filter((object) => object.kind === 'PersistentVolumeClaim').map((object) => object.metadata.name), redisClaims, 'the only PVC left is Redis\'s')
  t.ok(find('Secret', databaseSecret), `the Secret ${databaseSecret} is rendered (a placeholder to replace)`)
  const config = find('ConfigMap', 'cleave')
  const poolMax = Number(config.data.DATABASE_POOL_MAX ?? poolMaxDefault)

  const fromSecret = (container: Yaml) => container.env?.find((entry: Yaml) => entry.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef
  function checkOnPostgres (name: string, module: string) {
    const deployment = find('Deployment', name)
    if (!t.ok(deployment, `a Deployment ${name}`)) return undefined
    const pod = deployment.spec.template.spec
    const container = pod.containers.find((candidate: Yaml) => candidate.name === 'cleave')
    t.same(fromSecret(container), { name: databaseSecret, key: 'DATABASE_URL' }, `${name}: DATABASE_URL from a secretKeyRef`)
    t.notOk(container.volumeMounts?.some((mount: Yaml) => mount.mountPath === '/data'), `${name}: nothing mounted at /data`)
    t.notOk(pod.volumes?.some((volume: Yaml) => volume.persistentVolumeClaim), `${name}: no PVC`)
    t.notOk(pod.affinity, `${name}: no affinity to a node that holds a volume`)
    t.match(deployment.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0 } }, `${name}: RollingUpdate, a new pod ready before an old one stops`)
    const migrate = pod.initContainers?.find((candidate: Yaml) => candidate.command?.join(' ') === 'node dist/bin/migrate.js')
    if (t.ok(migrate, `${name}: an init container runs the migrate entrypoint`)) {
      t.equal(migrate.env.find((entry: Yaml) => entry.name === 'MODULES')?.value, module, `${name}: it migrates ${module}`)
      t.same(fromSecret(migrate), { name: databaseSecret, key: 'DATABASE_URL' }, `${name}: on the same DATABASE_URL`)
      t.equal(migrate.image, container.image, `${name}: with the pod's own image`)
      t.same(migrate.envFrom, container.envFrom, `${name}: and its settings`)
      t.notOk(migrate.readinessProbe || migrate.livenessProbe, `${name}: no probe cuts a long migration short`)
      t.equal(migrate.securityContext?.readOnlyRootFilesystem, true)
    }
    // Each pod opens up to DATABASE_POOL_MAX connections; one more pod during a rollout (maxSurge).
    return (deployment.spec.replicas + (deployment.spec.strategy?.rollingUpdate?.maxSurge ?? 1)) * poolMax
  }

  let connections = 0
  for (const module of stateful) {
    connections += checkOnPostgres(module, module) ?? 0
    t.equal(find('Deployment', module)?.spec.replicas, 2, `${module}: two replicas`)
    t.notOk(find('PersistentVolumeClaim', `${module}-data`), `${module}: its PVC is gone`)
  }
  for (const module of subscribers.filter((module) => stateful.includes(module))) {
    connections += checkOnPostgres(`${module}-worker`, module) ?? 0
  }
  t.ok(connections <= postgresConnections, `every pod at DATABASE_POOL_MAX ${poolMax}, rollouts included: ${connections} connections, within max_connections`)
  for (const object of objects.filter((object) => object.kind === 'Deployment')) {
    const name = object.metadata.name
    if (stateful.includes(name) || stateful.some((module) => name === `${module}-worker`)) continue
    t.notOk(object.spec.template.spec.containers.some(fromSecret), `${name} does not get DATABASE_URL`)
  }
})

t.test('the committed Secret is a placeholder no process starts with', async (t) => {
  const secret = parse(readFileSync(join(projectRoot, 'deploy/k8s/base/secret.yaml'), 'utf8'))
  t.equal(secret.kind, 'Secret')
  t.throws(() => loadConfig({ SERVICE_SECRET: secret.stringData.SERVICE_SECRET }, registry), ConfigError, 'a deployment that keeps it fails at start-up')
  const database = parse(read(`${overlay}/secret.yaml`))
  t.match(database, { kind: 'Secret', metadata: { name: databaseSecret } })
  t.throws(() => loadConfig({ SERVICE_SECRET: goodSecret, MODULES: stateful.join(','), DATABASE_URL: database.stringData.DATABASE_URL }, registry), ConfigError,
    'the overlay\'s DATABASE_URL placeholder stops its migrations and servers too')
})
