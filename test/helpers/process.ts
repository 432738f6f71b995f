import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import type { Test } from 'tap'
import { until } from './until.js'

export const projectRoot = resolve(import.meta.dirname, '../..')

export interface RunningProcess {
  url: string
  child: ChildProcess
  /** Every JSON line the process logged so far. */
  logs: Array<Record<string, unknown>>
  exited: Promise<number | null>
}

export async function freePort (): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

// Starts a real entrypoint (on env.PORT, or a free port) and resolves once it answers /health/live.
export async function startProcess (t: Test, bin: string, env: Record<string, string>): Promise<RunningProcess> {
  const port = env.PORT ?? String(await freePort())
  const url = `http://127.0.0.1:${port}`
  const child = spawn(process.execPath, ['--import', 'tsx', `src/bin/${bin}.ts`], {
    cwd: projectRoot,
    // No load balancer in a test: SIGTERM closes at once unless a test asks for a drain delay.
    env: { ...process.env, LOG_LEVEL: 'info', DRAIN_DELAY_MS: '0', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  // 'close', not 'exit': only then has everything the process wrote been read.
  const exited = once(child, 'close').then(([code]) => code as number | null)
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  const logs: Array<Record<string, unknown>> = []
  let stderr = ''
  child.stderr.on('data', (chunk) => { stderr += chunk })
  createInterface({ input: child.stdout }).on('line', (line) => { logs.push(JSON.parse(line)) })
  await until(async () => {
    if (child.exitCode !== null) throw new Error(`${bin} exited with ${child.exitCode} before listening`)
    return fetch(`${url}/health/live`).then((res) => res.ok, () => false)
  }, { timeoutMs: 60_000, what: `${bin} answering on ${url}` }).catch((error: Error) => {
    throw new Error(`${error.message}:\n${stderr}`)
  })
  return { url, child, logs, exited }
}

/** Runs an entrypoint to its end; with timeoutMs, one that would not end is killed then. */
export async function runToEnd (bin: string, env: Record<string, string>, args: string[] = [], { timeoutMs }: { timeoutMs?: number } = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', `src/bin/${bin}.ts`, ...args], {
    cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL'
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => { stdout += chunk })
  child.stderr.on('data', (chunk) => { stderr += chunk })
  const [code] = await once(child, 'close')
  return { code: code as number | null, stdout, stderr }
}

export type LogLine = Record<string, unknown>

/** The first line of a process's log that matches, waited for: pino writes asynchronously. */
export function logLine (process: RunningProcess, what: string, match: (line: LogLine) => boolean): Promise<LogLine> {
  return until(() => process.logs.find(match), { what: `${what} in the log`, timeoutMs: 30_000 })
}
