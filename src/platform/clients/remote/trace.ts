// The caller's trace goes on: a child traceparent on every attempt and, when span export is on,
// a client span that covers the whole call, retries included (the callee's span is its child).
import { traceparentHeader, traceparentOf, tracestateHeader, type SpanExport, type TraceContext } from '../../observability/tracing/index.js'
import type { RemoteCall, Stage } from './pipeline.js'

function setTraceHeaders (call: RemoteCall, trace: TraceContext): void {
  call.headers[traceparentHeader] = traceparentOf(trace)
  if (trace.tracestate) call.headers[tracestateHeader] = trace.tracestate
}

export function traceStage (target: string, spans: SpanExport | undefined): Stage {
  return (next) => async (call) => {
    const { trace } = call.context
    if (!trace) return next(call)
    if (!spans) {
      setTraceHeaders(call, trace)
      return next(call)
    }
    const { name, route } = call.operation
    const span = spans.start('client', `${target}.${name}`, trace, { 'rpc.service': target, 'rpc.method': name, 'http.request.method': route.method })
    call.context = { ...call.context, trace: span.trace }
    setTraceHeaders(call, span.trace)
    let failed = true
    try {
      const result = await next(call)
      failed = false
      return result
    } finally {
      span.end({ failed })
    }
  }
}
