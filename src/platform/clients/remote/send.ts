// The last step: one undici request to the instance the retry stage chose; the answer is read outside.
import { request, type Dispatcher } from 'undici'
import type { Next } from './pipeline.js'
import { timeLeft } from './timeout.js'

export function sendRequest (dispatcher: Dispatcher): Next {
  return (call) => {
    // undici reads 0 as no timeout: an attempt started at its deadline gets 1 ms.
    const timeoutMs = Math.max(1, Math.ceil(timeLeft(call)))
    return request(call.instance + call.path, {
      method: call.operation.route.method,
      dispatcher,
      headers: call.headers,
      body: call.body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs
    })
  }
}
