// Prometheus metrics: one registry per app, GET /metrics, and the HTTP request metrics.
import fp from 'fastify-plugin'
import type { FastifyInstance, onResponseHookHandler } from 'fastify'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client'
import { RequestDurations } from './request-durations.js'
import { addRouteHook } from '../primitives/route-hooks.js'

export interface Metrics {
  registry: Registry
  httpRequestDuration: RequestDurations
  /** Counted in a plain number by the request hooks, read into the gauge at scrape. */
  httpRequestsInFlight: InFlight
  /** 0 closed, 1 half-open, 2 open. */
  breakerState: Gauge<'target'>
  breakerEvents: Counter<'target' | 'event'>
  /** Attempts that could make no connection to an instance of the target (each ejects it for a while). */
  connectFailures: Counter<'target'>
  /** Health-check probes sent to instances of the target, by outcome (pass, fail). */
  healthChecks: Counter<'target' | 'outcome'>
  /** outcome "ok" when the target answered, its own 4xx errors included; "error" when it could not. */
  clientCallDuration: Histogram<'target' | 'operation' | 'transport' | 'outcome'>
  jobDuration: Histogram<'queue' | 'event' | 'outcome'>
  relayLag: Histogram<'module'>
}

declare module 'fastify' {
  interface FastifyInstance { metrics: Metrics }
}

export const unmatchedRoute = 'unmatched'

// Node's own metrics (event loop lag, GC, heap, CPU) describe the process, not an app, and
// prom-client cannot stop their observers: collected once per process, merged into each scrape.
let processMetrics: Registry | undefined
function processRegistry (): Registry {
  if (!processMetrics) {
    processMetrics = new Registry()
    collectDefaultMetrics({ register: processMetrics })
    for (const name of droppedDefaultMetrics) processMetrics.removeSingleMetric(name)
  }
  return processMetrics
}

// Gauges that prom-client names like counters (promtool: "non-counter metrics should not have _total
// suffix"); each is the sum of the by-type gauge of the same name without _total, which stays.
export const droppedDefaultMetrics = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']

// Gauge.inc and dec validate and hash an empty label object on every call; a request in flight
// is one addition here, and the gauge takes the count when /metrics is scraped.
export interface InFlight { count: number }

function inFlightGauge (registers: Registry[]): InFlight {
  const inFlight = { count: 0 }
  // eslint-disable-next-line no-new -- registered by its constructor; read only through collect()
  new Gauge({ name: 'cleave_http_requests_in_flight', help: 'HTTP requests being served', registers, collect () { this.set(inFlight.count) } })
  return inFlight
}

function registered<M> (registry: Registry, metric: M): M {
  registry.registerMetric(metric as unknown as Metric)
  return metric
}

export function createMetrics (): Metrics {
  const registry = new Registry()
  const registers = [registry]
  return {
    registry,
    httpRequestDuration: registered(registry, new RequestDurations()),
    httpRequestsInFlight: inFlightGauge(registers),
    breakerState: new Gauge({ name: 'cleave_breaker_state', help: 'Circuit breaker per target module: 0 closed, 1 half-open, 2 open', labelNames: ['target'], registers }),
    breakerEvents: new Counter({
      name: 'cleave_breaker_events_total',
      help: 'Circuit breaker events per target module (success, failure, timeout, reject, fallback, open, close, halfOpen; bulkhead: refused because CALL_CONCURRENCY calls were in flight)',
      labelNames: ['target', 'event'],
      registers
    }),
    connectFailures: new Counter({
      name: 'cleave_target_connect_failures_total',
      help: 'Attempts that could make no connection to an instance of the target module (refused, unreachable, unknown, timed out); the instance is then passed over for a while',
      labelNames: ['target'],
      registers
    }),
    healthChecks: new Counter({
      name: 'cleave_health_checks_total',
      help: 'Health-check probes (GET /health/live) this process sent to instances of the target module, by outcome: pass (answered below 500 in time) or fail',
      labelNames: ['target', 'outcome'],
      registers
    }),
    clientCallDuration: new Histogram({
      name: 'cleave_client_call_duration_seconds',
      help: 'Calls through app.clients: ok when the target answered (its 4xx errors included), error when it could not',
      labelNames: ['target', 'operation', 'transport', 'outcome'],
      registers
    }),
    jobDuration: new Histogram({
      name: 'cleave_job_duration_seconds',
      help: 'Event handler runs by subscriber queue, event and outcome (handled, duplicate, error)',
      labelNames: ['queue', 'event', 'outcome'],
      registers
    }),
    relayLag: new Histogram({
      name: 'cleave_relay_lag_seconds',
      help: 'From an event\'s publication to its delivery being acknowledged, per publishing module',
      labelNames: ['module'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers
    })
  }
}

async function metrics (app: FastifyInstance) {
  const all = createMetrics()
  const { httpRequestDuration, httpRequestsInFlight } = all
  app.decorate('metrics', all)
  app.addHook('onClose', async () => { all.registry.clear() })
  // Off: the other plugins still record into the registry, but nothing is timed per request or served.
  if (!app.config.METRICS) return

  // Route pattern, never the URL, so labels stay bounded. Each route gets its own onResponse
  // hook holding its pattern's series (request.routeOptions would build an object per request);
  // unmatched URLs are recorded by the instance hook. Callback hooks: no promise per request.
  app.addHook('onRoute', (route) => {
    const durations = httpRequestDuration.route(route.url)
    const observe: onResponseHookHandler = (request, reply, done) => {
      durations.observe(request.method, reply.statusCode, reply.elapsedTime / 1000)
      done()
    }
    addRouteHook(route, 'onResponse', observe)
  })
  const unmatched = httpRequestDuration.route(unmatchedRoute)
  app.addHook('onRequest', (request, reply, done) => {
    httpRequestsInFlight.count++
    done()
  })
  app.addHook('onResponse', (request, reply, done) => {
    httpRequestsInFlight.count--
    if (request.is404) unmatched.observe(request.method, reply.statusCode, reply.elapsedTime / 1000)
    done()
  })

  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    const merged = Registry.merge([processRegistry(), all.registry])
    reply.type(merged.contentType)
    return merged.metrics()
  })
}

export default fp(metrics, { name: 'metrics', dependencies: ['config'] })
