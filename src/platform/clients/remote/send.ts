// The last step: one undici request to the instance the retry stage chose; the answer is read outside.
import { request, type Dispatcher } from 'undici'
import type { Next } from './pipeline.js'

export function sendRequest (dispatcher: Dispatcher): Next {
  return (call) => request(call.instance + call.path, {
    method: call.operation.route.method,
    dispatcher,
    signal: call.signal,
    headers: call.headers,
    body: call.body
  })
}
