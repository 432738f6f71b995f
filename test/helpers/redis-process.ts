// Starting a private redis-server, shared by the tests' helper and the benchmarks.
import { spawn, type ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import { until } from './until.js'

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

/**
 * A redis-server on 127.0.0.1:port that keeps nothing on disk, or with `appendOnly` its data in
 * dir's append-only file, as deploy/compose.yaml runs it; resolves once it answers PING.
 */
export async function spawnRedisServer (port: number, dir: string, { appendOnly = false } = {}): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', appendOnly ? 'yes' : 'no', '--dir', dir], { stdio: 'ignore' })
  try {
    await until(() => {
      if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${child.exitCode}`)
      return answersPing(port)
    }, { timeoutMs: 10_000, everyMs: 20, what: `redis-server answering PING on port ${port}` })
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }
  return child
}
