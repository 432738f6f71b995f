import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'

/**
 * A real HTTP server that takes each request and breaks its connection without answering: the
 * caller cannot tell whether the request was acted on, so it must not be sent again unless idempotent.
 */
export async function resettingServer (t: Test): Promise<{ url: string, requests: string[] }> {
  const requests: string[] = []
  const server = createServer((request) => {
    requests.push(`${request.method} ${request.url}`)
    request.socket.destroy()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.close() })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }
}
