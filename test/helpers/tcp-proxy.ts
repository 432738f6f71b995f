import { once } from 'node:events'
import { connect, createServer, type Socket } from 'node:net'
import { Transform } from 'node:stream'
import type { Test } from 'tap'

export interface TcpProxy {
  port: number
  /** Cuts every open connection and refuses new ones, as a database that went away. */
  cut (): Promise<void>
  /** Accepts connections again, on the same port. */
  restore (): Promise<void>
  /**
   * Ends the next connection that sends anything, before those bytes reach the server, as one lost
   * just as a query went out; resolves once it has.
   */
  breakNext (): Promise<void>
}

// Between a process and a real server, so a test can take the server away from that process only.
export async function startTcpProxy (t: Test, target: { host: string, port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  let broken: (() => void) | undefined
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => { client.destroy(); upstream.destroy() })
    }
    const gate = new Transform({
      transform (chunk, _encoding, done) {
        if (!broken) return done(null, chunk)
        const breaking = broken
        broken = undefined
        client.destroy()
        upstream.destroy()
        breaking()
        done()
      }
    })
    client.pipe(gate).pipe(upstream).pipe(client)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  const close = async () => {
    for (const socket of sockets) socket.destroy()
    if (server.listening) await new Promise((resolve) => server.close(resolve))
  }
  t.teardown(close)
  return {
    port,
    cut: close,
    async restore () {
      server.listen(port, '127.0.0.1')
      await once(server, 'listening')
    },
    breakNext () {
      return new Promise((resolve) => { broken = resolve })
    }
  }
}
