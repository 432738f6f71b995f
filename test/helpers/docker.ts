import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Test } from 'tap'
import { parse } from 'yaml'
import { tempDir } from './app.js'
import { freePort, projectRoot } from './process.js'
import { until } from './until.js'

const run = promisify(execFile)

interface Outcome { code: number, stdout: string, stderr: string }

// Every command here goes through this: its exit code and what it wrote, never a throw.
async function outcome (command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(command, args, { env, maxBuffer: 64 * 1024 * 1024 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const { code, stdout = '', stderr = '' } = error as { code?: unknown, stdout?: string, stderr?: string }
    return { code: typeof code === 'number' ? code : -1, stdout, stderr }
  }
}

// Standard output, trimmed; the end of standard error in the message when it fails.
function succeeded (what: string, result: Outcome): string {
  if (result.code !== 0) throw new Error(`${what} failed: ${result.stderr.trim().split('\n').slice(-8).join('\n')}`)
  return result.stdout.trim()
}

const withOutput = ({ code, stdout, stderr }: Outcome) => ({ code, output: stdout + stderr })

/** A docker command's standard output; it throws, with what docker said, when the command fails. */
export async function docker (...args: string[]): Promise<string> {
  return succeeded(`docker ${args.join(' ')}`, await outcome('docker', args))
}

/** A docker command that may fail: its exit code and everything it wrote. */
export async function dockerOutcome (...args: string[]): Promise<{ code: number, output: string }> {
  return withOutput(await outcome('docker', args))
}

/** The image the container tests run, built from the project's Dockerfile by the first file that asks. */
export const testImage = process.env.CLEAVE_TEST_IMAGE ?? 'cleave:test'

// --network host: a machine whose package mirrors resolve through its own /etc/hosts builds as
// any other does. The layers are cached, so every file after the first gets the image at once.
export async function buildImage (): Promise<{ tag: string, seconds: number, bytes: number }> {
  const started = Date.now()
  await docker('build', '--network', 'host', '-q', '-t', testImage, projectRoot)
  const bytes = Number(await docker('image', 'inspect', '--format', '{{.Size}}', testImage))
  return { tag: testImage, seconds: (Date.now() - started) / 1000, bytes }
}

/** A name no other run uses; teardowns remove only what carries it. */
export const runName = (what: string) => `cleavetest${what}${randomBytes(4).toString('hex')}`

export interface Compose {
  project: string
  /** The gateway's address, published on 127.0.0.1. */
  url: string
  /** `config -q` with SERVICE_SECRET unset: what a user who forgot it sees. */
  configWithoutSecret: () => Promise<{ code: number, output: string }>
  /** The container ids of a service, in Compose's order. */
  containers: (service: string) => Promise<string[]>
  network: string
}

// Debian's docker-compose 1.29 where `docker compose` (v2) is absent. v1 rejects the top-level
// `name:` and ignores deploy.replicas, so the copy drops the first and callers pass --scale.
async function composeCommand (): Promise<string[]> {
  return (await outcome('docker', ['compose', 'version'])).code === 0 ? ['docker', 'compose'] : ['docker-compose']
}

/**
 * deploy/compose.yaml as a user runs it, with what a test must own instead: the project name,
 * the image the tests built (never cleave:local), and the gateway published on a free port of
 * 127.0.0.1. The secret is passed on every command, `down` included: Compose interpolates it
 * there too, and a cleanup without it would remove nothing.
 */
export async function startCompose (t: Test, profile: string, { env = {}, scale = {} }: { env?: Record<string, string>, scale?: Record<string, number> } = {}): Promise<Compose> {
  const project = runName(profile)
  const port = await freePort()
  const spec = parse(readFileSync(join(projectRoot, 'deploy/compose.yaml'), 'utf8'), { merge: true }) as { name?: string, services: Record<string, Record<string, unknown>> }
  delete spec.name
  for (const service of Object.values(spec.services)) {
    if (service.build !== undefined) {
      delete service.build
      service.image = testImage
    }
    if (Array.isArray(service.ports)) service.ports = service.ports.map((mapping: string) => mapping.replace(/^3000:/, `127.0.0.1:${port}:`))
  }
  // As JSON, which YAML 1.1 (docker-compose 1.29's parser) reads as written: `yes` stays a string.
  const file = join(tempDir(t), 'compose.yaml')
  writeFileSync(file, JSON.stringify(spec))
  const [command, ...prefix] = await composeCommand()
  const commandEnv = { ...process.env, SERVICE_SECRET: randomBytes(32).toString('base64'), ...env }
  const projectArgs = ['-p', project, '-f', file, '--profile', profile]
  const compose = async (...args: string[]) => succeeded(`compose ${args.join(' ')}`, await outcome(command, [...prefix, ...projectArgs, ...args], commandEnv))
  t.teardown(async () => {
    // Unpaused first: a paused container cannot be stopped.
    const ids = (await docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`)).split('\n').filter(Boolean)
    await Promise.all(ids.map((id) => docker('unpause', id).catch(() => undefined)))
    await compose('down', '--volumes', '--remove-orphans', '--timeout', '2')
  })
  const scaled = Object.entries(scale).flatMap(([service, n]) => ['--scale', `${service}=${n}`])
  await compose('up', '-d', '--no-build', ...scaled).catch(async (error: Error) => {
    throw new Error(`${error.message}\n${await compose('logs', '--tail', '30').catch(() => '')}`)
  })
  const url = `http://127.0.0.1:${port}`
  await until(() => fetch(`${url}/health/ready`).then((res) => res.ok, () => false), { what: `the ${profile} profile ready on ${url}`, timeoutMs: 120_000, everyMs: 500 })
  return {
    project,
    url,
    configWithoutSecret: async () => withOutput(await outcome(command, [...prefix, ...projectArgs, 'config', '-q'], { ...commandEnv, SERVICE_SECRET: '' })),
    containers: async (service) => (await compose('ps', '-q', service)).split('\n').filter(Boolean),
    network: `${project}_default`
  }
}
