// A call to another service, as a pipeline composed once per target, outermost first:
// trace → unavailable → bulkhead → instances → breaker → timeout → read-answer → retry → sign → send.
import type CircuitBreaker from 'opossum'
import type { Dispatcher } from 'undici'
import type { FastifyBaseLogger } from 'fastify'
import { successResponse, type Contract, type OperationContext } from '../../contracts/define-contract.js'
import type { Resolver } from '../../discovery/discovery.js'
import type { InstanceHealth } from '../../discovery/instance-health.js'
import { requestIdHeader } from '../../http/request-id.js'
import { compileAnswer } from '../../http/validation.js'
import type { SpanExport } from '../../observability/tracing/index.js'
import type { Metrics } from '../../observability/metrics.js'
import type { ServiceTokens } from '../../security/service-token.js'
import type { CallInput } from '../input-validator.js'
import { createBreaker, type Breaker } from './breaker.js'
import { bulkheadStage } from './bulkhead.js'
import { instancesStage } from './instances.js'
import { compose, type CallSettings, type RemoteCall, type RemoteOperation, type Stage } from './pipeline.js'
import { readAnswerStage } from './read-answer.js'
import { retryStage } from './retry.js'
import { sendRequest } from './send.js'
import { signStage } from './sign.js'
import { timeoutStage } from './timeout.js'
import { traceStage } from './trace.js'
import { unavailableStage } from './unavailable.js'

export interface RemoteTransport {
  call (operation: string, input: CallInput, context: OperationContext): Promise<unknown>
  /** New settings for the calls from now on; the breaker keeps its state and counts. */
  configure (settings: CallSettings): void
  breaker: CircuitBreaker
  report: Breaker<RemoteCall>['report']
}

// The route's URL cut once at its parameters: a call joins the pieces with its values.
function pathMaker (url: string): (params: CallInput['params']) => string {
  const pieces = url.split(/:(\w+)/)
  return (params) => {
    let path = pieces[0]
    for (let i = 1; i < pieces.length; i += 2) path += encodeURIComponent(String(params?.[pieces[i]])) + pieces[i + 1]
    return path
  }
}

function queryOf (query: CallInput['query']): string {
  if (query === undefined) return ''
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) search.set(key, String(value))
  }
  const text = search.toString()
  return text ? `?${text}` : ''
}

function operationsOf (contract: Contract): Map<string, RemoteOperation> {
  return new Map(Object.entries(contract.routes).map(([name, route]) => {
    const success = successResponse(route)
    const check = success.schema && success.mediaType.includes('json') ? compileAnswer(success.schema) : undefined
    return [name, { name, route, path: pathMaker(route.url), success, check, accept: `${success.mediaType}, application/problem+json` }]
  }))
}

// The instances stage fills it in: a call starts with none and allocates no list of its own.
const noInstances: string[] = []

export function createRemoteTransport (options: {
  contract: Contract
  resolver: Resolver
  /** Shared with every caller in the process: the instances in rotation. */
  health: InstanceHealth
  dispatcher: Dispatcher
  settings: CallSettings
  log: FastifyBaseLogger
  metrics: Pick<Metrics, 'breakerState' | 'breakerEvents'>
  /** Signs each request when SERVICE_SECRET is set. */
  tokens?: ServiceTokens
  /** A client span per call when span export is on. */
  spans?: SpanExport
}): RemoteTransport {
  const { contract, resolver, health, dispatcher, log, metrics, tokens, spans } = options
  const target = contract.module
  let current = options.settings
  const settings = () => current
  const operations = operationsOf(contract)
  const breaker = createBreaker<RemoteCall>({ target, settings, log, metrics })
  const stages: Stage[] = [
    traceStage(target, spans),
    unavailableStage(target, settings),
    bulkheadStage(settings, metrics.breakerEvents.labels(target, 'bulkhead')),
    // Before the breaker: no instance in rotation is known at once, and must not hold the breaker
    // open past the first passing health check.
    instancesStage(target, resolver, health),
    breaker.stage,
    timeoutStage(settings),
    readAnswerStage(contract),
    retryStage(target, settings, health),
    ...(tokens === undefined ? [] : [signStage(tokens, target)])
  ]
  const run = compose(stages, sendRequest(dispatcher))

  return {
    breaker: breaker.breaker,
    report: breaker.report,
    configure (next) {
      current = next
      breaker.configure(next)
    },
    call (name, input, context) {
      const operation = operations.get(name)!
      const headers: Record<string, string> = { accept: operation.accept, [requestIdHeader]: context.id }
      if (input.body !== undefined) headers['content-type'] = 'application/json'
      return run({
        operation,
        input,
        context,
        path: operation.path(input.params) + queryOf(input.query),
        headers,
        body: input.body === undefined ? undefined : JSON.stringify(input.body),
        deadline: undefined,
        instances: noInstances,
        instance: ''
      })
    }
  }
}
