import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import type { Test } from 'tap'
import { freePort, projectRoot } from './process.js'
import { until } from './until.js'

/** Debian's Python, with python3-flask and python3-pika (.ci/run installs them): never another one. */
export const python = '/usr/bin/python3'

export interface PythonService {
  url: string
  /** SIGTERM, and its exit code once it is gone. */
  stop (): Promise<number | null>
}

// Starts test/fixtures/python/<file> on a free port (its first argument) and resolves once `readyPath` answers.
export async function startPython (t: Test, file: string, env: Record<string, string> = {}, readyPath = '/'): Promise<PythonService> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const child = spawn(python, [join(projectRoot, 'test/fixtures/python', file), String(port)], {
    env: { ...process.env, PYTHONUNBUFFERED: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (chunk) => { output += chunk })
  child.stderr.on('data', (chunk) => { output += chunk })
  const exited = once(child, 'close').then(([code]) => code as number | null)
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  await until(async () => {
    if (child.exitCode !== null) throw new Error(`${file} exited with ${child.exitCode}:\n${output}`)
    return fetch(`${url}${readyPath}`).then(() => true, () => false)
  }, { timeoutMs: 30_000, what: `${file} answering on ${url}` })
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM')
      return exited
    }
  }
}
