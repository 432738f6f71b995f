import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createServer, type AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
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

/** Killed at exit at the latest, and by stopServers(). */
export function track (child: ChildProcess): void {
  running.add(child)
  child.once('exit', () => running.delete(child))
}

/**
 * A temporary folder for one bench run, and its clean-up: closers (last added first), every
 * process started here, then the folder. Ctrl-C and SIGTERM skip `finally`, so they clean up too.
 * A second call waits for the first: when an interrupt's clean-up stops the servers, the bench's
 * own `finally` must not let its failure end the process before the closers are done.
 */
export function workspace (name: string, onInterrupt?: () => void) {
  const dir = mkdtempSync(join(tmpdir(), `cleave-bench-${name}-`))
  const closers: Array<() => Promise<void>> = []
  let cleaning: Promise<void> | undefined
  function cleanUp (): Promise<void> {
    cleaning ??= (async () => {
      for (const close of closers.splice(0).reverse()) await close().catch((err) => console.error(`cleanup: ${(err as Error).message}`))
      await stopServers()
      rmSync(dir, { recursive: true, force: true })
    })()
    return cleaning
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      onInterrupt?.()
      void cleanUp().finally(() => process.exit(130))
    })
  }
  return { dir, closers, cleanUp }
}

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

let newest: number | undefined

// tsc writes every output on each build, so one compiled file older than any source means a stale dist/.
function newestSource (): number {
  newest ??= Math.max(...readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => statSync(join(entry.parentPath, entry.name)).mtimeMs))
  return newest
}

// What the image sets for every Cleave process (the Dockerfile's ENV NODE_OPTIONS), so a bench
// runs the compiled server as production does; the bench's own floors run without it.
const imageNodeOptions = /^ENV NODE_OPTIONS=(\S+)$/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'))?.[1]

/** The image's NODE_OPTIONS, for a bench that runs other servers as Cleave's run. */
export function imageEnv (): Record<string, string> {
  return imageNodeOptions === undefined ? {} : { NODE_OPTIONS: imageNodeOptions }
}

/** The environment of a process started with command(script): the image's NODE_OPTIONS for Cleave's own. */
export function productionEnv (script: string): Record<string, string> {
  return script.startsWith('src/') ? imageEnv() : {}
}

/**
 * What production runs: `src/<path>.ts` starts as the compiled `dist/<path>.js` (run `npm run build`
 * first; the bench scripts do), with no loader. The bench's own servers (bench/*.ts) run under tsx,
 * which costs them start-up time only: the code they serve is compiled once, at import. Plain
 * JavaScript (the peers, `.mjs`) runs as it is.
 */
export function command (script: string, args: string[] = []): string[] {
  if (script.endsWith('.mjs')) return [...args, script]
  if (!script.startsWith('src/')) return ['--import', 'tsx', ...args, script]
  const compiled = join(root, 'dist', script.slice('src/'.length).replace(/\.ts$/, '.js'))
  if (!existsSync(compiled)) throw new Error(`${compiled} is missing: run npm run build first`)
  if (statSync(compiled).mtimeMs < newestSource()) throw new Error(`${compiled} is older than src/: run npm run build first`)
  return [...args, compiled]
}

// Output goes straight to a file, so the bench process does none of the logging work it measures.
// nodeArgs: options for node itself, e.g. --cpu-prof.
export async function startServer (name: string, script: string, env: Record<string, string>, logFile: string, nodeArgs: string[] = []): Promise<Server> {
  const port = await freePort()
  const output = openSync(logFile, 'w')
  const child = spawn(process.execPath, command(script, nodeArgs), {
    cwd: root,
    // No load balancer to wait for: a server stops at once instead of draining (stopProcess allows 5 s).
    env: { ...process.env, ...productionEnv(script), DRAIN_DELAY_MS: '0', ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', output, output]
  })
  closeSync(output)
  track(child)
  const url = `http://127.0.0.1:${port}`
  await waitUntilListening(url, child, logFile)
  const server = { name, url, log: logFile }
  children.set(server, child)
  return server
}

/** SIGTERM, SIGKILL after 5 s; resolves once the process has exited. */
export async function stopProcess (child: ChildProcess): Promise<void> {
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
  if (child) await stopProcess(child)
}

let ticksPerSecond: number | undefined

/**
 * CPU time the server's process has used so far (user + system, all its threads), in µs, from
 * /proc/<pid>/stat (Linux only). Its resolution is one clock tick, 10 ms on most systems.
 */
export function pidOf (server: Server): number {
  const pid = children.get(server)?.pid
  if (pid === undefined) throw new Error(`${server.name}: no process`)
  return pid
}

export function cpuMicros (server: Server): number {
  const pid = pidOf(server)
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }))
  // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, utime 14, stime 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[14 - 3]) + Number(fields[15 - 3])) / ticksPerSecond * 1e6
}

/** The server process's resident memory now, in MB, from /proc/<pid>/status. */
export function rssMb (server: Server): number {
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pidOf(server)}/status`, 'utf8'))?.[1]
  if (kb === undefined) throw new Error(`${server.name}: no VmRSS in /proc/${pidOf(server)}/status`)
  return Number(kb) / 1024
}

export async function stopServers (): Promise<void> {
  await Promise.all([...running].map(stopProcess))
}
