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

async function send ({ base, headers }: Target, request: PlannedRequest, timeoutMs: number): Promise<Answer> {
  const res = await fetch(new URL(request.path, base), {
    method: request.method,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
    headers: request.body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(request.body !== undefined && { body: JSON.stringify(request.body) })
  })
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', location: res.headers.get('location') ?? undefined, text: await res.text() }
}

export async function verifyModule (contract: Contract, baseUrl: string, { timeoutMs = 10_000 } = {}): Promise<Verification> {
  const routes = Object.values(contract.routes).sort((a, b) => order.indexOf(a.method) - order.indexOf(b.method))
  const locations: string[] = []
  const target = targetOf(baseUrl)
  const result: Verification = { target: target.shown.href, operations: routes.length, requests: 0, violations: [] }
  const known = (route: RouteDefinition) => locations.map((location) => paramsFromLocation(route, location)).find((params) => params !== undefined) ?? {}
  for (const route of routes) {
    for (const request of plannedRequests(route, known(route))) {
      const where = `${request.method} ${new URL(request.path, target.shown).href}${request.refusedFor ? ` (${request.refusedFor})` : ''}`
      result.requests++
      let answer: Answer
      try {
        answer = await send(target, request, timeoutMs)
      } catch (error) {
        result.violations.push(`${where} answer: expected a response, got ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`)
        continue
      }
      if (request.refusedFor === undefined && answer.location && answer.status >= 200 && answer.status < 300) locations.push(answer.location)
      for (const violation of responseViolations(contract, route, answer, request.refusedFor === undefined ? undefined : 400)) result.violations.push(`${where} ${violation}`)
    }
  }
  return result
}
