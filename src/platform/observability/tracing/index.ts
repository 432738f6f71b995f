// The request's trace: read from traceparent where Fastify makes the request's logger, bound
// to that logger (so every line written for the request carries it), and kept as request.trace.
import fp from 'fastify-plugin'
import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions } from 'fastify'
import type { Logger } from 'pino'
import { requestLogger } from '../request-logger.js'
import type { IncomingMessage } from 'node:http'
import type { Config } from '../../config/config.js'
import { continueTrace, maxTracestate, parseTraceparent, type TraceContext } from './trace-context.js'
import type { OpenSpan, SpanExport, SpanParent } from './span.js'

export { continueTrace, newSpanId, newTraceId, parseTraceparent, traceHeaders, traceparentHeader, traceparentOf, tracestateHeader, type TraceContext } from './trace-context.js'
export { loadSpanExport, spanExportEnabled } from './span-export.js'
export type { OpenSpan, SpanExport, SpanParent } from './span.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** This process's span for the request; undefined when TRACING=false. */
    trace: TraceContext | undefined
  }
  interface FastifyInstance {
    /** Where spans are exported (OTLP); undefined when export is off. */
    spanExport: SpanExport | undefined
  }
}

type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>

const traceKey = Symbol('cleave.trace')
const spanKey = Symbol('cleave.span')
type TracedMessage = IncomingMessage & { [traceKey]?: TraceContext, [spanKey]?: OpenSpan }

/** The span a traceparent (and tracestate) names as the parent, or undefined when none is valid. */
export function spanParentOf (traceparent: string | undefined, tracestate?: string | undefined): SpanParent | undefined {
  const parent = parseTraceparent(traceparent)
  if (!parent) return undefined
  // The same tracestate rule as continueTrace.
  const kept = typeof tracestate === 'string' && tracestate.length > 0 && tracestate.length <= maxTracestate ? tracestate : undefined
  return { traceId: parent.traceId, spanId: parent.parentId, flags: parent.flags, ...(kept && { tracestate: kept }) }
}

/**
 * Field names of OpenTelemetry's log correlation (trace_id, span_id), which log tools know how
 * to link to a trace.
 */
export function traceBindings (trace: TraceContext): { trace_id: string, span_id: string } {
  return { trace_id: trace.traceId, span_id: trace.spanId }
}

// Fastify makes exactly one child logger per request; the trace ids join its bindings there
// rather than in a second child made by a hook. The child itself is made on the request's first
// line (request-logger.ts). With span export on, the exported server span's ids are the request's.
export function traceLoggerFactory (config: Pick<Config, 'TRACING'>, spans?: SpanExport): ChildLoggerFactory {
  if (!config.TRACING) return (logger, bindings, options) => requestLogger(logger as Logger, bindings, options) as FastifyBaseLogger
  return function (logger, bindings, options, raw) {
    const { traceparent, tracestate } = raw.headers
    const state = typeof tracestate === 'string' ? tracestate : undefined
    let trace: TraceContext
    if (spans) {
      const span = spans.start('server', raw.method ?? 'HTTP', spanParentOf(traceparent as string | undefined, state), { 'http.request.method': raw.method ?? '' })
      ;(raw as TracedMessage)[spanKey] = span
      trace = span.trace
    } else {
      trace = continueTrace(traceparent as string | undefined, state)
    }
    ;(raw as TracedMessage)[traceKey] = trace
    const traced = bindings as Record<string, unknown>
    traced.trace_id = trace.traceId
    traced.span_id = trace.spanId
    return requestLogger(logger as Logger, bindings, options) as FastifyBaseLogger
  }
}

async function tracing (app: FastifyInstance, { spans }: { spans?: SpanExport }) {
  app.decorateRequest('trace', {
    getter () { return (this.raw as TracedMessage)[traceKey] }
  })
  app.decorate('spanExport', spans)
  if (!spans) return
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url
    const status = reply.statusCode
    ;(request.raw as TracedMessage)[spanKey]?.end({
      name: route ? `${request.method} ${route}` : request.method,
      attributes: { ...(route && { 'http.route': route }), 'http.response.status_code': status },
      failed: status >= 500
    })
  })
  // Spans still batched are sent before the process goes.
  app.addHook('onClose', async () => { await spans.shutdown() })
}

export default fp(tracing, { name: 'tracing' })
