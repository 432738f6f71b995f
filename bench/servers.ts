import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

export interface Server {
  name: string
  url: string
  /** Where the server's stdout and stderr go. */
  log: string
}

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const running = new Set<ChildProcess>()
const children = new WeakMap<Server, ChildProcess>()

// Last resort when the bench dies without reaching its cleanup: never leave a server behind.
process.once('exit', () => { for (const child of running) child.kill('SIGKILL') })

// The port is chosen here because at LOG_LEVEL=warn the app never logs the one it got from PORT=0.
export async function freePort (): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const { port } = probe.address() as AddressInfo
  probe.close()
  await once(probe, 'close')
  return port
}

function tail (file: string): string {
  return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n')
}

async function waitUntilListening (url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${url}: server exited while starting:\n${tail(logFile)}`)
    try {
      await fetch(url)
      return
    } catch {
      await sleep(100)
    }
  }
  throw new Error(`${url}: server not listening after 30 s:\n${tail(logFile)}`)
}

// Output goes straight to a file, so the bench process does none of the logging work it measures.
export async function startServer (name: string, script: string, env: Record<string, string>, logFile: string): Promise<Server> {
  const port = await freePort()
  const output = openSync(logFile, 'w')
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', output, output]
  })
  closeSync(output)
  running.add(child)
  child.once('exit', () => running.delete(child))
  const url = `http://127.0.0.1:${port}`
  await waitUntilListening(url, child, logFile)
  const server = { name, url, log: logFile }
  children.set(server, child)
  return server
}

async function stop (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}

/** Stops one server and waits until its process has exited, so its port is closed. */
export async function stopServer (server: Server): Promise<void> {
  const child = children.get(server)
  if (child) await stop(child)
}

export async function stopServers (): Promise<void> {
  await Promise.all([...running].map(stop))
}
