// npm run verify's work: every operation of a module's contract, sent to a running
// implementation in any language, each answer held to the contract. Creating operations go
// first, so that the Location they answer gives the reads, changes and removals a real resource.
import type { Contract, RouteDefinition } from '../define-contract.js'
import { paramsFromLocation, plannedRequests, type PlannedRequest } from './requests.js'
import { responseViolations, type Answer } from './response-check.js'

export interface Verification {
  /** The base URL, its password masked. */
  target: string
  operations: number
  requests: number
  /** One line each: `<METHOD> <url> <what>: expected …, got …`. */
  violations: string[]
  /** The same, for answers that break only Cleave's own conventions (requests.ts `convention`). */
  warnings: string[]
}

export interface VerifyLimits {
  /** Longest wait for one answer, body included. */
  timeoutMs: number
  /** Longest the whole run may take; the requests left are not sent. */
  deadlineMs: number
  /** Largest answer read; a larger one is a violation, read no further. */
  maxBytes: number
}

export const defaultLimits: VerifyLimits = { timeoutMs: 3000, deadlineMs: 30_000, maxBytes: 1_048_576 }

class TooLarge extends Error {}

// Read a chunk at a time, so an answer of any size costs at most maxBytes of memory.
async function readText (body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<string> {
  if (body === null) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.byteLength
    if (size > maxBytes) throw new TooLarge(`an answer of at most ${maxBytes} bytes, got more`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

const order = ['POST', 'PUT', 'GET', 'PATCH', 'DELETE']

interface Target {
  base: URL
  /** Credentials of the URL, sent as HTTP Basic (fetch refuses them in a URL), never printed. */
  headers: Record<string, string>
  shown: URL
}

function targetOf (baseUrl: string): Target {
  const base = new URL(baseUrl)
  const shown = new URL(base)
  const headers: Record<string, string> = {}
  if (base.username || base.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`
    if (shown.password) shown.password = '***'
    base.username = ''
    base.password = ''
  }
  return { base, headers, shown }
}

async function send ({ base, headers }: Target, request: PlannedRequest, { timeoutMs, maxBytes }: VerifyLimits): Promise<Answer> {
  const signal = AbortSignal.timeout(timeoutMs)
  const res = await fetch(new URL(request.path, base), {
    method: request.method,
    redirect: 'manual',
    signal,
    headers: request.body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(request.body !== undefined && { body: JSON.stringify(request.body) })
  })
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', location: res.headers.get('location') ?? undefined, text: await readText(res.body, maxBytes) }
}

function failureOf (error: unknown, timeoutMs: number): string {
  if (error instanceof TooLarge) return error.message
  if ((error as Error).name === 'TimeoutError') return `an answer within ${timeoutMs} ms, got none`
  const cause = (error as Error).cause
  return `a response, got ${cause instanceof Error ? cause.message : (error as Error).message}`
}

export async function verifyModule (contract: Contract, baseUrl: string, limits: Partial<VerifyLimits> = {}): Promise<Verification> {
  const settings = { ...defaultLimits, ...limits }
  const deadline = Date.now() + settings.deadlineMs
  const routes = Object.values(contract.routes).sort((a, b) => order.indexOf(a.method) - order.indexOf(b.method))
  const locations: string[] = []
  const target = targetOf(baseUrl)
  const result: Verification = { target: target.shown.href, operations: routes.length, requests: 0, violations: [], warnings: [] }
  const known = (route: RouteDefinition) => locations.map((location) => paramsFromLocation(route, location)).find((params) => params !== undefined) ?? {}
  let unsent = 0
  for (const route of routes) {
    for (const request of plannedRequests(route, known(route))) {
      if (Date.now() >= deadline) {
        unsent++
        continue
      }
      const where = `${request.method} ${new URL(request.path, target.shown).href}${request.refusedFor ? ` (${request.refusedFor})` : ''}`
      const found = request.convention ? result.warnings : result.violations
      result.requests++
      let answer: Answer
      try {
        answer = await send(target, request, { ...settings, timeoutMs: Math.min(settings.timeoutMs, deadline - Date.now()) })
      } catch (error) {
        found.push(`${where} answer: expected ${failureOf(error, settings.timeoutMs)}`)
        continue
      }
      if (request.refusedFor === undefined && answer.location && answer.status >= 200 && answer.status < 300) locations.push(answer.location)
      for (const violation of responseViolations(contract, route, answer, request.refusedFor === undefined ? undefined : 400)) found.push(`${where} ${violation}`)
    }
  }
  if (unsent > 0) result.violations.push(`run: expected to finish within ${settings.deadlineMs} ms, ${unsent} request${unsent === 1 ? '' : 's'} not sent`)
  return result
}
