// The request's trace: read from traceparent where Fastify makes the request's logger, bound
// to that logger (so every line written for the request carries it), and kept as request.trace.
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import type { IncomingMessage } from 'node:http'
import type { Config } from '../config.js'
import { continueTrace, type TraceContext } from './trace-context.js'

export { continueTrace, newSpanId, newTraceId, parseTraceparent, traceHeaders, traceparentHeader, traceparentOf, tracestateHeader, type TraceContext } from './trace-context.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** This process's span for the request; undefined when TRACING=false. */
    trace: TraceContext | undefined
  }
}

type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>

const traceKey = Symbol('cleave.trace')
type TracedMessage = IncomingMessage & { [traceKey]?: TraceContext }

/**
 * Field names of OpenTelemetry's log correlation (trace_id, span_id), which log tools know how
 * to link to a trace.
 */
export function traceBindings (trace: TraceContext): { trace_id: string, span_id: string } {
  return { trace_id: trace.traceId, span_id: trace.spanId }
}

// Fastify makes exactly one child logger per request; the trace ids join its bindings there
// rather than in a second child made by a hook. Undefined (Fastify's own factory) when off.
export function traceLoggerFactory (config: Pick<Config, 'TRACING'>): ChildLoggerFactory | undefined {
  if (!config.TRACING) return undefined
  return function (logger, bindings, options, raw) {
    const { traceparent, tracestate } = raw.headers
    const trace = continueTrace(traceparent as string | undefined, typeof tracestate === 'string' ? tracestate : undefined)
    ;(raw as TracedMessage)[traceKey] = trace
    const traced = bindings as Record<string, unknown>
    traced.trace_id = trace.traceId
    traced.span_id = trace.spanId
    return logger.child(bindings, options)
  }
}

async function tracing (app: FastifyInstance) {
  app.decorateRequest('trace', {
    getter () { return (this.raw as TracedMessage)[traceKey] }
  })
}

export default fp(tracing, { name: 'tracing' })
