// One autocannon run against a server, with latency kept in microseconds.
import autocannon from 'autocannon'
import type { EventEmitter } from 'node:events'
import { createHistogram } from 'node:perf_hooks'
import type { Measurement } from './report.js'
import { cpuMicros, type Server } from './servers.js'

export interface LoadOptions {
  connections: number
  /** Seconds. */
  duration: number
  /** The path of the n-th request, so requests can walk through the seeded ids. */
  path: (n: number) => string
  /** The JSON body of the n-th request; with it, requests are POSTs. */
  body?: (n: number) => string
  /** The status every response must have. */
  status?: number
  /** Every body must pass, e.g. to tell a real answer from a degraded one with the same status. */
  verifyBody?: (body: string) => boolean
}

export interface LoadResult extends Measurement {
  /** Responses received. */
  requests: number
}

// autocannon's own latency histogram keeps whole milliseconds, which reads 0 ms at p50 here;
// its response event carries the fractional time, recorded here in microseconds.
export async function load (server: Server, { connections, duration, path, body, status: expected = 200, verifyBody }: LoadOptions): Promise<LoadResult> {
  let next = 0
  let notOk = 0
  const latencies = createHistogram()
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance: EventEmitter = autocannon({
      url: server.url,
      connections,
      duration,
      requests: [body
        ? { method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest: (request) => { const n = next++; return { ...request, path: path(n), body: body(n) } } }
        : { method: 'GET', setupRequest: (request) => ({ ...request, path: path(next++) }) }],
      ...(verifyBody ? { verifyBody: (body) => verifyBody(String(body)) } : {})
    }, (error, result) => { if (error) reject(error); else resolve(result) })
    // Typed without its first argument (the client) in @types/autocannon; autocannon 8 passes it.
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status !== expected) notOk++
      latencies.record(Math.max(1, Math.round(ms * 1000)))
    })
  })
  if (result.errors > 0 || notOk > 0 || result.mismatches > 0) {
    throw new Error(`${server.name}: ${result.errors} errors, ${notOk} responses other than ${expected}, ${result.mismatches} unexpected bodies`)
  }
  return {
    reqPerSec: result.requests.average,
    requests: result.requests.total,
    p50: latencies.percentile(50) / 1000,
    p99: latencies.percentile(99) / 1000
  }
}

/**
 * A load with the CPU the servers used per response (summed over all of them: a topology's
 * processes), counted from its start until `settle` resolves, so work the requests left behind
 * (an outbox to drain) is counted too.
 */
export async function measured (servers: Server[], work: () => Promise<LoadResult>, settle?: () => Promise<void>): Promise<LoadResult & { cpuUs: number }> {
  const cpu = () => servers.reduce((sum, server) => sum + cpuMicros(server), 0)
  const before = cpu()
  const result = await work()
  await settle?.()
  return { ...result, cpuUs: (cpu() - before) / result.requests }
}
