import CircuitBreaker from 'opossum'
import { request, type Dispatcher } from 'undici'
import type { FastifyBaseLogger } from 'fastify'
import { successResponse, type Contract, type ErrorConstructor, type OperationContext, type RouteDefinition } from '../contracts/define-contract.js'
import type { Resolver } from '../discovery/discovery.js'
import { requestIdHeader } from '../http/request-id.js'
import { traceHeaders, type SpanExport } from '../observability/tracing/index.js'
import type { Metrics } from '../observability/metrics.js'
import { serviceTokenHeader, type ServiceTokens } from '../security/service-token.js'
import { DependencyUnavailable, InvalidCallResponse, RemoteProblem, isAnswer } from './call-errors.js'
import { compileResponseCheck, type CallInput } from './input-validator.js'
import { backoff, isConnectionFailure, isIdempotent, isRefusal, isRetriableStatus } from './retry.js'
import { createBreakerWindow, windowBuckets } from './breaker-window.js'
import { tripOnConnectionFailures } from './connection-trip.js'

export interface BreakerSettings {
  timeoutMs: number
  retries: number
  /** Longest first backoff before retrying after a 502/503/504 answer. */
  backoffMs: number
  errorThresholdPercentage: number
  volumeThreshold: number
  resetTimeoutMs: number
  /** Length of the rolling window the percentage rule looks at. */
  windowMs: number
  /** Calls in a row that reached no instance before the breaker opens; 0: never for that alone. */
  connectionFailures: number
}

export interface RemoteTransport {
  call (operation: string, input: CallInput, context: OperationContext): Promise<unknown>
  /** New settings for the calls from now on; the breaker keeps its state and counts. */
  configure (settings: BreakerSettings): void
  breaker: CircuitBreaker
}

function pathOf (route: RouteDefinition, input: CallInput): string {
  const path = route.url.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(String(input.params?.[name])))
  const query = new URLSearchParams()
  for (const [key, value] of Object.entries(input.query ?? {})) {
    if (value !== undefined) query.set(key, String(value))
  }
  const search = query.toString()
  return search ? `${path}?${search}` : path
}

// A remote problem becomes the very error the target threw, so callers handle one error either way.
function errorsByCode (contract: Contract): Map<string, ErrorConstructor> {
  return new Map(Object.values(contract.errors).map((Ctor) => [new Ctor().code, Ctor]))
}

function problemToError (known: Map<string, ErrorConstructor>, status: number, body: unknown): Error {
  const problem = (typeof body === 'object' && body !== null ? body : {}) as { code?: string, detail?: string }
  const Known = problem.code === undefined ? undefined : known.get(problem.code)
  if (Known) {
    const error = new Known()
    error.message = problem.detail ?? error.message
    return error
  }
  return new RemoteProblem(status, problem.code ?? `CLV_HTTP_${status}`, problem.detail ?? `HTTP ${status}`)
}

const breakerEvents = ['success', 'failure', 'timeout', 'reject', 'fallback', 'open', 'close', 'halfOpen'] as const
const stateValues: Partial<Record<typeof breakerEvents[number], number>> = { close: 0, halfOpen: 1, open: 2 }

// Label children are bound once here, so an event costs one increment.
function observeBreaker (breaker: CircuitBreaker, target: string, metrics: Pick<Metrics, 'breakerState' | 'breakerEvents'>) {
  const state = metrics.breakerState.labels(target)
  state.set(0)
  // opossum's typings give each event its own listener type; these listeners take no arguments.
  const events: NodeJS.EventEmitter = breaker
  for (const event of breakerEvents) {
    const counter = metrics.breakerEvents.labels(target, event)
    const value = stateValues[event]
    events.on(event, value === undefined ? () => counter.inc() : () => { counter.inc(); state.set(value) })
  }
}

export function createRemoteTransport (options: {
  contract: Contract
  resolver: Resolver
  dispatcher: Dispatcher
  settings: BreakerSettings
  log: FastifyBaseLogger
  metrics: Pick<Metrics, 'breakerState' | 'breakerEvents'>
  /** Signs each request when SERVICE_SECRET is set. */
  tokens?: ServiceTokens
  /** A client span per call when span export is on. */
  spans?: SpanExport
}): RemoteTransport {
  const { contract, resolver, dispatcher, log, metrics, tokens, spans } = options
  let settings = options.settings
  const target = contract.module
  const known = errorsByCode(contract)
  const responses = new Map(Object.entries(contract.routes).map(([name, route]) => {
    const success = successResponse(route)
    const check = success.schema && success.mediaType.includes('json') ? compileResponseCheck(success.schema) : undefined
    return [name, { route, success, check }]
  }))
  let turn = 0

  // Round-robin, passing over the instances this call already found refusing.
  function nextInstance (instances: string[], refused: Set<string>): string {
    for (let i = 0; i < instances.length; i++) {
      const base = instances[turn++ % instances.length]
      if (!refused.has(base)) return base
    }
    // Only when the list names one URL twice: refused counts it once.
    return instances[turn++ % instances.length]
  }

  async function send (name: string, input: CallInput, context: OperationContext, signal: AbortSignal): Promise<unknown> {
    const { route, success, check } = responses.get(name)!
    const instances = await resolver.instances(target)
    if (instances.length === 0) throw new DependencyUnavailable(target, 'no instance is known')
    const retries = isIdempotent(route.method) ? settings.retries : 0
    // Instances that refused during this call: not tried again by it.
    const refused = new Set<string>()
    for (let attempt = 0; ; attempt++) {
      const base = nextInstance(instances, refused)
      const path = pathOf(route, input)
      let response: Dispatcher.ResponseData
      try {
        response = await request(`${base}${path}`, {
          method: route.method,
          dispatcher,
          signal,
          headers: {
            accept: `${success.mediaType}, application/problem+json`,
            [requestIdHeader]: context.id,
            ...(tokens === undefined ? {} : { [serviceTokenHeader]: tokens.sign(route.method, path) }),
            ...(context.trace && traceHeaders(context.trace)),
            ...(input.body === undefined ? {} : { 'content-type': 'application/json' })
          },
          body: input.body === undefined ? undefined : JSON.stringify(input.body)
        })
      } catch (error) {
        const failure = error as { code?: string }
        if (!isConnectionFailure(failure)) throw error
        if (isRefusal(failure)) refused.add(base)
        // No backoff: a closed port stays closed for the next few milliseconds, and a broken
        // kept-alive socket is replaced by a new connection at once. When every instance has
        // refused, there is nothing left to try.
        if (attempt < retries && !signal.aborted && refused.size < instances.length) continue
        throw error
      }
      const { statusCode } = response
      if (statusCode === success.status) {
        if (statusCode === 204) return response.body.dump().then(() => undefined)
        if (!success.mediaType.includes('json')) return response.body.text()
        const body = await response.body.json()
        if (check && !check(body)) throw new InvalidCallResponse(target, name, (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('; '))
        return body
      }
      if (attempt < retries && isRetriableStatus(statusCode)) {
        await response.body.dump()
        await backoff(attempt, signal, settings.backoffMs)
        continue
      }
      throw problemToError(known, statusCode, await response.body.json().catch(() => undefined))
    }
  }

  const window = createBreakerWindow(settings.windowMs)
  // opossum owns the timeout (and counts it); the abort a little later frees the socket.
  const breaker = new CircuitBreaker((run: () => Promise<unknown>) => run(), {
    name: target,
    timeout: settings.timeoutMs,
    errorThresholdPercentage: settings.errorThresholdPercentage,
    volumeThreshold: settings.volumeThreshold,
    resetTimeout: settings.resetTimeoutMs,
    errorFilter: isAnswer,
    rollingCountBuckets: windowBuckets,
    rollingCountTimeout: settings.windowMs,
    rotateBucketController: window.controller,
    // Nothing reads latency percentiles or snapshots; sorting every latency in the window on each
    // failure would slow the calls most during an outage.
    rollingPercentilesEnabled: false,
    enableSnapshots: false
  })
  breaker.on('shutdown', window.stop)
  // opossum 9 reads timeout, resetTimeout and errorThresholdPercentage from breaker.options on
  // each use, but keeps volumeThreshold in a private field behind a prototype getter: an own
  // getter reads the live setting instead, so the breaker need not be recreated (losing its state).
  Object.defineProperty(breaker, 'volumeThreshold', { get: () => settings.volumeThreshold })
  const logState = (state: string) => () => log.warn({ target, breaker: state }, `circuit breaker for ${target} is ${state}`)
  breaker.on('open', logState('open'))
  breaker.on('halfOpen', logState('half-open'))
  breaker.on('close', logState('closed'))
  observeBreaker(breaker, target, metrics)
  tripOnConnectionFailures(breaker, () => settings.connectionFailures)

  async function callOnce (name: string, input: CallInput, context: OperationContext): Promise<unknown> {
    try {
      // The abort timer is made only when a request is really sent, not for calls the breaker refuses.
      return await breaker.fire(() => send(name, input, context, AbortSignal.timeout(settings.timeoutMs + 50)))
    } catch (error) {
      if (isAnswer(error) || (error as { code?: string }).code === 'CLV_DEPENDENCY_UNAVAILABLE') throw error
      const { code, message } = error as { code?: string, message: string }
      const reason = code === 'EOPENBREAKER'
        ? 'its circuit breaker is open'
        : code === 'ETIMEDOUT' ? `no answer within ${settings.timeoutMs} ms` : (code ?? message)
      // An open breaker is the expected, cheap path during an outage: the state change was logged once.
      if (code === 'EOPENBREAKER') context.log.debug({ target, operation: name, reason }, `call to ${target}.${name} refused`)
      else context.log.warn({ target, operation: name, reason }, `call to ${target}.${name} failed`)
      throw new DependencyUnavailable(target, reason)
    }
  }

  return {
    breaker,
    configure (next) {
      settings = next
      window.resize(next.windowMs)
      // Not in @types/opossum 8, but opossum 9's public, documented options object.
      Object.assign((breaker as unknown as { options: CircuitBreaker.Options }).options, {
        timeout: next.timeoutMs,
        errorThresholdPercentage: next.errorThresholdPercentage,
        resetTimeout: next.resetTimeoutMs
      })
    },
    async call (name, input, context) {
      if (!spans || !context.trace) return callOnce(name, input, context)
      // The client span covers the call, retries included; the callee's span is its child.
      const route = responses.get(name)!.route
      const span = spans.start('client', `${target}.${name}`, context.trace, { 'rpc.service': target, 'rpc.method': name, 'http.request.method': route.method })
      let failed = true
      try {
        const result = await callOnce(name, input, { ...context, trace: span.trace })
        failed = false
        return result
      } finally {
        span.end({ failed })
      }
    }
  }
}
