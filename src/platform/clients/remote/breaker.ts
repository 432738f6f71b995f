// One opossum breaker per target around the attempts, for the clients and the gateway alike: it
// owns a client call's timeout, opens on the percentage rule over our own rolling window
// (breaker-window.ts) or on a run of failed calls (consecutive-failures.ts), and takes every
// setting change on the live breaker.
import CircuitBreaker from 'opossum'
import type { FastifyBaseLogger } from 'fastify'
import type { Metrics } from '../../observability/metrics.js'
import type { BreakerReport } from '../health-section.js'
import { isAnswer } from '../call-errors.js'
import { createBreakerWindow, windowBuckets } from './breaker-window.js'
import { tripOnConsecutiveFailures } from './consecutive-failures.js'
import type { CallSettings, Settings } from './pipeline.js'

type Step<Call> = (call: Call) => Promise<unknown>

export interface Breaker<Call> {
  breaker: CircuitBreaker
  /** Puts the breaker around the steps that follow it. */
  stage: (next: Step<Call>) => Step<Call>
  /** The settings from now on; the breaker keeps its state and counts. */
  configure (settings: CallSettings): void
  /** State and window counts, for GET /health. */
  report (): BreakerReport
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

export function createBreaker<Call> (options: {
  target: string
  settings: Settings
  log: FastifyBaseLogger
  metrics: Pick<Metrics, 'breakerState' | 'breakerEvents'>
  /** false: the steps inside keep their own time (the gateway's relay); the breaker only counts. */
  timesOut?: boolean
}): Breaker<Call> {
  const { target, settings, log, metrics, timesOut = true } = options
  const initial = settings()
  const window = createBreakerWindow(initial.windowMs)
  // The stages inside the breaker, known once the pipeline is composed.
  let inner: Step<Call> = () => Promise.reject(new Error('the breaker stage was not composed'))
  const breaker = new CircuitBreaker((call: Call) => inner(call), {
    name: target,
    timeout: timesOut ? initial.timeoutMs : false,
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
  tripOnConsecutiveFailures(breaker, () => settings().consecutiveFailures)

  return {
    breaker,
    report () {
      const { fires, successes, failures, timeouts, rejects } = breaker.stats
      return {
        state: breaker.opened ? 'open' : breaker.halfOpen ? 'half-open' : 'closed',
        window: { calls: fires, successes, failures, timeouts, rejected: rejects }
      }
    },
    stage: (next) => {
      inner = next
      return (call) => breaker.fire(call)
    },
    configure (next) {
      window.resize(next.windowMs)
      // Not in @types/opossum 8, but opossum 9's public, documented options object.
      Object.assign((breaker as unknown as { options: CircuitBreaker.Options }).options, {
        timeout: timesOut ? next.timeoutMs : false,
        errorThresholdPercentage: next.errorThresholdPercentage,
        resetTimeout: next.resetTimeoutMs
      })
    }
  }
}
