import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import type { Test } from 'tap'
import { tempDir } from './app.js'
import { freePort } from './process.js'
import { spawnRedisServer } from './redis-process.js'

export interface TestRedis {
  url: string
  /** Kills the server (SIGKILL, nothing persisted): an outage. */
  stop (): Promise<void>
  /** Starts an empty server on the same port again. */
  start (): Promise<void>
  /** Freezes the server (SIGSTOP): connections stay open and nothing answers, as a Redis that hangs. */
  pause (): void
  /** Lets a paused server run again (SIGCONT). */
  resume (): void
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
    child = await spawnRedisServer(port, dir)
  }

  t.teardown(stop)
  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT')
  }
}
