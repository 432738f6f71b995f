// A private redis-server on a free port (never the shared one on 6379), nothing persisted.
import { spawnRedisServer } from '../test/helpers/redis-process.js'
import { freePort, stopProcess, track } from './servers.js'

export interface RedisServer {
  host: string
  port: number
  url: string
  stop (): Promise<void>
}

export async function startRedisServer (dir: string): Promise<RedisServer> {
  const host = '127.0.0.1'
  const port = await freePort()
  const child = await spawnRedisServer(port, dir)
  track(child)
  return { host, port, url: `redis://${host}:${port}`, stop: () => stopProcess(child) }
}
