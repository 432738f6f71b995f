// A relayed request body that takes nothing from the client's stream until undici writes it to
// a connection. undici destroys the body of a request that fails, a refused connection included:
// handed the client's stream itself, it would take the body (and the client's socket) with it
// before the next instance could be tried. Until its first read this stream can be dropped and
// the client's is untouched; from then on it stands for the client's stream, destroyed with it.
import { Readable } from 'node:stream'

export function deferredBody (source: Readable): Readable {
  let started = false
  const body: Readable = new Readable({
    read () {
      if (!started) {
        started = true
        source.on('data', (chunk) => { if (!body.push(chunk)) source.pause() })
        source.once('end', () => body.push(null))
        source.once('error', (error) => body.destroy(error))
      }
      source.resume()
    },
    destroy (error, callback) {
      if (started) source.destroy(error ?? undefined)
      callback(error)
    }
  })
  return body
}
