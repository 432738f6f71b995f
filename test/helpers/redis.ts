import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'
import { tempDir } from './app.js'
import { freePort } from './process.js'

export interface TestRedis {
  url: string
  /** Kills the server (SIGKILL, nothing persisted): an outage. */
  stop (): Promise<void>
  /** Starts an empty server on the same port again. */
  start (): Promise<void>
}

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

// A private redis-server on a free port, never the shared one on 6379; killed when the test ends.
export async function startRedis (t: Test): Promise<TestRedis> {
  const port = await freePort()
  const dir = tempDir(t, 'cleave-redis-')
  let child: ChildProcess | undefined

  async function stop () {
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }

  async function start () {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' })
    for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
      if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${child.exitCode}`)
      if (await answersPing(port)) return
      await sleep(20)
    }
    throw new Error(`redis-server did not answer on port ${port} within 10 s`)
  }

  t.teardown(stop)
  await start()
  return { url: `redis://127.0.0.1:${port}`, stop, start }
}
