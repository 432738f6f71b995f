// The last step: one request to the instance the retry stage chose, its answer read whole.
// Dispatched with a handler that keeps the chunks rather than through undici's request(),
// whose answer is a stream: a remote answer is one small JSON body, and the stream was the
// largest part of what undici cost a call (bench/README.md).
import type { Dispatcher } from 'undici'
import type { Next, RemoteAnswer } from './pipeline.js'

export function sendRequest (dispatcher: Dispatcher): Next {
  return (call) => new Promise<RemoteAnswer>((resolve, reject) => {
    const { deadline } = call
    const chunks: Buffer[] = []
    let statusCode = 0
    dispatcher.dispatch({
      origin: call.instance,
      path: call.path,
      method: call.operation.route.method,
      headers: call.headers,
      body: call.body
    }, {
      onRequestStart (controller) {
        deadline?.watch((reason) => controller.abort(reason))
      },
      onResponseStart (_controller, status) { statusCode = status },
      onResponseData (_controller, chunk) { chunks.push(chunk) },
      onResponseEnd () {
        deadline?.release()
        resolve({ statusCode, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) })
      },
      onResponseError (_controller, error) {
        deadline?.release()
        reject(error)
      }
    })
  })
}
