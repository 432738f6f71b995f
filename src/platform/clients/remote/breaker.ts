// One opossum breaker per target around the attempts: it owns the call's timeout, opens on the
// percentage rule over our own rolling window (breaker-window.ts) or on a run of calls that
// reached no instance (connection-trip.ts), and takes every setting change on the live breaker.
import CircuitBreaker from 'opossum'
import type { FastifyBaseLogger } from 'fastify'
import type { Metrics } from '../../observability/metrics.js'
import { isAnswer } from '../call-errors.js'
import { createBreakerWindow, windowBuckets } from './breaker-window.js'
import { tripOnConnectionFailures } from './connection-trip.js'
import type { BreakerSettings, Next, RemoteCall, Settings, Stage } from './pipeline.js'

export interface Breaker {
  breaker: CircuitBreaker
  stage: Stage
  /** The settings from now on; the breaker keeps its state and counts. */
  configure (settings: BreakerSettings): void
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

export function createBreaker (options: { target: string, settings: Settings, log: FastifyBaseLogger, metrics: Pick<Metrics, 'breakerState' | 'breakerEvents'> }): Breaker {
  const { target, settings, log, metrics } = options
  const initial = settings()
  const window = createBreakerWindow(initial.windowMs)
  // The stages inside the breaker, known once the pipeline is composed.
  let inner: Next = () => Promise.reject(new Error('the breaker stage was not composed'))
  const breaker = new CircuitBreaker((call: RemoteCall) => inner(call), {
    name: target,
    timeout: initial.timeoutMs,
    errorThresholdPercentage: initial.errorThresholdPercentage,
    volumeThreshold: initial.volumeThreshold,
    resetTimeout: initial.resetTimeoutMs,
    errorFilter: isAnswer,
    rollingCountBuckets: windowBuckets,
    rollingCountTimeout: initial.windowMs,
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
  Object.defineProperty(breaker, 'volumeThreshold', { get: () => settings().volumeThreshold })
  const logState = (state: string) => () => log.warn({ target, breaker: state }, `circuit breaker for ${target} is ${state}`)
  breaker.on('open', logState('open'))
  breaker.on('halfOpen', logState('half-open'))
  breaker.on('close', logState('closed'))
  observeBreaker(breaker, target, metrics)
  tripOnConnectionFailures(breaker, () => settings().connectionFailures)

  return {
    breaker,
    stage: (next) => {
      inner = next
      return (call) => breaker.fire(call)
    },
    configure (next) {
      window.resize(next.windowMs)
      // Not in @types/opossum 8, but opossum 9's public, documented options object.
      Object.assign((breaker as unknown as { options: CircuitBreaker.Options }).options, {
        timeout: next.timeoutMs,
        errorThresholdPercentage: next.errorThresholdPercentage,
        resetTimeout: next.resetTimeoutMs
      })
    }
  }
}
