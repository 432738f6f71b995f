// Follows the Dockerfile's path without Docker: build into a temp copy, assemble a folder holding
// only what the image holds, and run the image's command there with plain node (no tsx, no dev deps).
import t from 'tap'
import type { Test } from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs'
import { basename, dirname, join, posix, relative, sep } from 'node:path'
import { randomUUID } from 'node:crypto'
import { parse } from 'yaml'
import { tempDir } from '../helpers/app.js'
import { freePort, projectRoot } from '../helpers/process.js'
import { startRedis } from '../helpers/redis.js'
import { until } from '../helpers/until.js'
import { args, copies, env, execForm, parseDockerfile, stage, type Copy } from './dockerfile.js'

// Building and assembling the image folder take one to two minutes on two busy cores.
t.setTimeout(300_000)

// The LTS lines the image may use: 22 (supported to April 2027) and 24 (to April 2028).
const supportedLts = [22, 24]
const stages = parseDockerfile(readFileSync(join(projectRoot, 'Dockerfile'), 'utf8'))
const runtime = stages.at(-1)!
const imageCommand = execForm(runtime, 'CMD')!
const imageEnv = env(runtime)

t.test('the Dockerfile', async (t) => {
  t.same(stages.map((s) => s.name), ['base', 'prod-deps', 'build', 'runtime'])
  const base = stage(stages, 'base').from
  const pinned = /^node:(\d+)\.\d+\.\d+-bookworm-slim$/.exec(base)
  t.ok(pinned, `one base image, Debian with glibc, pinned to a Node version: ${base}`)
  const major = Number(pinned?.[1])
  t.ok(supportedLts.includes(major), `Node ${major} is a supported LTS line (${supportedLts.join(', ')}), not 20 (end of life)`)
  const workflow = parse(readFileSync(join(projectRoot, '.github/workflows/ci.yml'), 'utf8'))
  t.ok(workflow.jobs.test.strategy.matrix.node.includes(major), `CI tests on the image's Node ${major}`)
  for (const s of stages.slice(1)) t.ok(stages.some((other) => other.name === s.from), `${s.name} builds on another stage`)

  const prodDeps = args(stage(stages, 'prod-deps'), 'RUN')
  t.ok(prodDeps.some((run) => /apt-get install .*python3 make g\+\+/.test(run)), 'the dependency stage has the toolchain for native modules')
  t.ok(prodDeps.some((run) => /^npm ci --omit=dev\b/.test(run)), 'production dependencies only')
  t.ok(args(stage(stages, 'build'), 'RUN').includes('npm run build'), 'compiled with npm run build')

  t.same(imageCommand, ['node', 'dist/bin/server.js'], 'the server by default, plain node')
  t.equal(execForm(runtime, 'ENTRYPOINT'), undefined, 'no entrypoint: a role is picked by replacing the command')
  t.same(args(runtime, 'USER'), ['node'], 'runs as the non-root node user')
  t.match(imageEnv, { HOST: '0.0.0.0', DATA_DIR: '/data' })
  const [healthcheck] = args(runtime, 'HEALTHCHECK')
  t.match(healthcheck, /CMD \["node", "-e", .*fetch\(.*\/health\/live/, 'the healthcheck uses node\'s fetch on /health/live')
  t.notMatch(runtime.instructions.map((i) => i.args).join('\n'), /curl|wget/)

  const contents = copies(runtime).flatMap(describe)
  t.same(contents.sort(), ['build:dist', 'context:contracts', 'context:drizzle', 'context:package-lock.json', 'context:package.json', 'prod-deps:node_modules'].sort(),
    'the image holds dist/, drizzle/, contracts/, package*.json and the production node_modules — what the test assembles below')

  const allowed = readFileSync(join(projectRoot, '.dockerignore'), 'utf8').split('\n').filter((line) => line.startsWith('!')).map((line) => line.slice(1).replace(/\/$/, ''))
  const fromContext = stages.flatMap((s) => copies(s)).filter((copy) => !copy.from).flatMap((copy) => copy.sources)
  t.same(fromContext.filter((source) => !allowed.includes(source)), [], '.dockerignore lets in every file the Dockerfile copies from the context')
})

function describe (copy: Copy): string[] {
  return copy.sources.map((source) => `${copy.from ?? 'context'}:${posix.relative('/app', posix.resolve('/app', source))}`)
}

// Copies a COPY instruction's sources from `root` into `target` (the stage's WORKDIR), as Docker does.
function applyCopy (copy: Copy, root: string, target: string) {
  for (const source of copy.sources) {
    const into = copy.destination.endsWith('/') ? join(target, copy.destination, basename(source)) : join(target, copy.destination)
    cpSync(join(root, source), into, { recursive: true })
  }
}

// The production dependency set, as npm resolves it from the lockfile, hard-linked from the project's
// node_modules (no copy of 150 MB, no recompiling better-sqlite3). A package nested under another comes with it.
function productionNodeModules (target: string) {
  const listed = spawnSync('npm', ['ls', '--omit=dev', '--parseable', '--all'], { cwd: projectRoot, encoding: 'utf8' })
  const installed = join(projectRoot, 'node_modules')
  const packages = listed.stdout.split('\n').filter((line) => line.startsWith(installed + sep)).map((line) => relative(installed, line))
  if (packages.length === 0) throw new Error(`npm ls listed no production packages:\n${listed.stderr}`)
  const topLevel = packages.filter((name) => !name.includes(`${sep}node_modules${sep}`))
  // One cp per folder (node_modules itself, each @scope): hard links when on the same file system.
  for (const folder of new Set(topLevel.map(dirname))) {
    const names = topLevel.filter((name) => dirname(name) === folder)
    mkdirSync(join(target, folder), { recursive: true })
    const linked = spawnSync('cp', ['-a', '--link', ...names.map((name) => join(installed, name)), join(target, folder)])
    if (linked.status === 0) continue
    for (const name of names) cpSync(join(installed, name), join(target, name), { recursive: true, verbatimSymlinks: true })
  }
  return packages
}

// What `docker build` would produce, in a temp folder: the build stage's output and the runtime's files.
function assembleImage (t: Test) {
  const root = tempDir(t, 'cleave-image-')
  const buildDir = join(root, 'build')
  const appDir = join(root, 'app')
  mkdirSync(buildDir)
  mkdirSync(appDir)

  const build = stage(stages, 'build')
  let mark = Date.now()
  const lap = (what: string) => { t.comment(`${what}: ${Date.now() - mark} ms`); mark = Date.now() }
  for (const copy of copies(build)) applyCopy(copy, projectRoot, buildDir)
  // Stands for the build stage's `npm ci --ignore-scripts`: tsc needs the dev dependencies' type declarations.
  symlinkSync(join(projectRoot, 'node_modules'), join(buildDir, 'node_modules'))
  const compiled = spawnSync('npm', ['run', 'build'], { cwd: buildDir, encoding: 'utf8' })
  if (compiled.status !== 0) throw new Error(`npm run build failed:\n${compiled.stdout}${compiled.stderr}`)
  lap('npm run build')

  let packages: string[] = []
  for (const copy of copies(runtime)) {
    if (copy.from === 'build') applyCopy({ ...copy, sources: copy.sources.map((source) => posix.relative('/app', source)) }, buildDir, appDir)
    else if (copy.from === 'prod-deps') packages = productionNodeModules(join(appDir, 'node_modules'))
    else if (copy.from === undefined) applyCopy(copy, projectRoot, appDir)
    else throw new Error(`the test does not know how to follow COPY --from=${copy.from}`)
  }
  lap('runtime files and production node_modules')
  return { appDir, packages }
}

interface Running { url: string, exited: Promise<number | null>, output: () => string, stop: () => Promise<number | null> }

// The environment a container gets: the image's ENV, overridden for a test port and data folder.
// Nothing is inherited from the test runner (no NODE_OPTIONS loader, no tsx).
function containerEnv (extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', ...imageEnv, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...extra }
}

function run (t: Test, appDir: string, command: string[], extra: Record<string, string>) {
  const child = spawn(command[0], command.slice(1), { cwd: appDir, env: containerEnv(extra), stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk) => { output += chunk })
  child.stderr.on('data', (chunk) => { output += chunk })
  // 'close', not 'exit': only then has everything the process wrote been read.
  const exited = once(child, 'close').then(([code]) => code as number | null)
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  return { child, exited, output: () => output }
}

async function start (t: Test, appDir: string, command: string[], extra: Record<string, string>): Promise<Running> {
  const port = String(await freePort())
  const url = `http://127.0.0.1:${port}`
  const { child, exited, output } = run(t, appDir, command, { ...extra, PORT: port })
  await until(async () => {
    if (child.exitCode !== null) throw new Error(`${command.join(' ')} exited with ${child.exitCode}`)
    return await statusOf(`${url}/health/live`).catch(() => 0) === 200
  }, { timeoutMs: 30_000, what: `${command.join(' ')} answering on ${url}` }).catch((error: Error) => {
    throw new Error(`${error.message}:\n${output()}`)
  })
  return { url, exited, output, stop: () => { child.kill('SIGTERM'); return exited } }
}

// Reads the body too: an unread response keeps its connection busy, and a busy connection holds up a graceful close.
async function statusOf (url: string): Promise<number> {
  const res = await fetch(url)
  await res.arrayBuffer()
  return res.status
}

const role = (bin: string) => [imageCommand[0], imageCommand[1].replace('server', bin)]

t.test('the image path: built dist/ with production dependencies only, every role', async (t) => {
  const started = Date.now()
  const { appDir, packages } = assembleImage(t)
  t.comment(`assembled in ${Date.now() - started} ms: ${packages.length} production packages`)
  t.same(readdirSync(appDir).sort(), ['contracts', 'dist', 'drizzle', 'node_modules', 'package-lock.json', 'package.json'])
  t.ok(existsSync(join(appDir, 'dist/bin/server.js')))
  t.notOk(existsSync(join(appDir, 'dist/bin/server.ts')) || existsSync(join(appDir, 'src')), 'no TypeScript sources')
  // typescript may be there: valibot (via @bull-board/api) has it as an optional peer, and npm keeps such
  // devOptional packages under --omit=dev. The image gets what `npm ci --omit=dev` gives, so the test does too.
  for (const dev of ['tsx', 'tap', 'drizzle-kit', 'playwright-core', 'autocannon', 'pino-pretty']) t.notOk(existsSync(join(appDir, 'node_modules', dev)), `no ${dev}`)
  const devImport = run(t, appDir, ['node', '--input-type=module', '-e', 'await import("tsx")'], {})
  t.not(await devImport.exited, 0, 'a dev dependency cannot be imported from the image folder')

  const pretty = run(t, appDir, imageCommand, { DATA_DIR: tempDir(t), LOG_FORMAT: 'pretty' })
  t.equal(await pretty.exited, 1, 'LOG_FORMAT=pretty is refused at start-up: the image has no pino-pretty')
  t.match(pretty.output(), /^Invalid configuration:\n {2}- LOG_FORMAT: pretty needs pino-pretty, a development dependency .*; use json\n$/, 'in one message, with no stack')

  const dataDir = tempDir(t)
  const server = await start(t, appDir, imageCommand, { DATA_DIR: dataDir })

  await t.test('the server (all modules) answers', async (t) => {
    const hello = await fetch(`${server.url}/service`)
    t.equal(hello.status, 200)
    t.equal(await hello.text(), 'Hello, Microservice!')
    const created = await fetch(`${server.url}/users`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' })
    })
    t.equal(created.status, 201)
    t.equal(created.headers.get('location'), '/users/1')
    await created.arrayBuffer()
    t.match(await (await fetch(`${server.url}/users/1`)).json(), { id: 1, name: 'Ada' })
    const ready = await fetch(`${server.url}/health/ready`)
    t.equal(ready.status, 200, await ready.clone().text())
    t.match(await ready.json(), { status: 'ok', checks: { 'users-db': 'ok' } })
    t.ok(existsSync(join(dataDir, 'users.sqlite')), 'the database is in DATA_DIR')
    t.equal(await statusOf(`${server.url}/docs/json`), 200, 'OpenAPI works from dist/')
  })

  await t.test('the gateway role routes to the server', async (t) => {
    const services = Object.fromEntries(['users', 'hello', 'proxy', 'orders', 'notifications', 'tasks'].map((module) => [`SERVICE_${module.toUpperCase()}_URL`, server.url]))
    const gateway = await start(t, appDir, role('gateway'), { DATA_DIR: tempDir(t), ...services })
    t.equal(await (await fetch(`${gateway.url}/service`)).text(), 'Hello, Microservice!')
    t.match(await (await fetch(`${gateway.url}/users/1`)).json(), { id: 1, name: 'Ada' })
    t.equal(await statusOf(`${gateway.url}/health/ready`), 200)
    t.equal(await gateway.stop(), 0)
  })

  await t.test('the migrate role applies migrations and exits', async (t) => {
    const fresh = tempDir(t)
    const migrate = run(t, appDir, role('migrate'), { DATA_DIR: fresh })
    t.equal(await migrate.exited, 0, migrate.output())
    t.match(migrate.output(), /users: migrated/)
    t.ok(existsSync(join(fresh, 'orders.sqlite')))
  })

  await t.test('a server with WORKERS=false and a worker role share Redis and DATA_DIR (the split layout)', async (t) => {
    const redis = await startRedis(t)
    const shared = { MODULES: 'tasks', DATA_DIR: tempDir(t), REDIS_URL: redis.url, REDIS_PREFIX: `cleave-deploy-${randomUUID()}:` }
    const tasks = await start(t, appDir, imageCommand, { ...shared, WORKERS: 'false' })
    const worker = await start(t, appDir, role('worker'), shared)
    const queued = await fetch(`${tasks.url}/async_task`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"from the image"}' })
    t.equal(queued.status, 202)
    const { id } = await queued.json() as { id: string }
    const task = await until(async () => {
      const read = await (await fetch(`${tasks.url}/tasks/${id}`)).json() as { state: string }
      return read.state === 'completed' && read
    }, { what: `task ${id} completed` })
    t.equal(task.state, 'completed', 'the worker did the task')
    t.equal(await statusOf(`${worker.url}/health/ready`), 200)
    t.equal(await worker.stop(), 0)
    t.equal(await tasks.stop(), 0)
  })

  t.equal(await server.stop(), 0, `SIGTERM: a clean exit\n${server.output()}`)
  t.comment(`image path total ${Date.now() - started} ms`)
})
