// A private redis-server on a free port (never the shared one on 6379), nothing persisted.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from './servers.js'

export interface RedisServer {
  host: string
  port: number
  url: string
  stop (): Promise<void>
}

const running = new Set<ChildProcess>()

// Last resort when the bench dies without reaching its cleanup.
process.once('exit', () => { for (const child of running) child.kill('SIGKILL') })

function answersPing (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.setTimeout(500)
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (chunk) => { socket.destroy(); resolve(chunk.toString().startsWith('+PONG')) })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => { socket.destroy(); resolve(false) })
  })
}

export async function startRedisServer (dir: string): Promise<RedisServer> {
  const host = '127.0.0.1'
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', host, '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' })
  running.add(child)
  child.once('exit', () => running.delete(child))

  async function stop () {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }

  for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
    if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${child.exitCode}`)
    if (await answersPing(port)) return { host, port, url: `redis://${host}:${port}`, stop }
    await sleep(20)
  }
  await stop()
  throw new Error(`redis-server did not answer on port ${port} within 10 s`)
}
