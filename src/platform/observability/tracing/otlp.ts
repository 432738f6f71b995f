// The OpenTelemetry SDK behind SpanExport, imported only when export is on. The SDK makes the
// span ids: Cleave takes them as its own, so the ids in logs and headers are the exported ones.
import { ROOT_CONTEXT, SpanKind as OtelKind, SpanStatusCode, trace as otelTrace, type Context } from '@opentelemetry/api'
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import type { Config } from '../../config/config.js'
import type { SpanExport, SpanKind, SpanParent } from './span.js'

const kinds: Record<SpanKind, OtelKind> = { server: OtelKind.SERVER, client: OtelKind.CLIENT, consumer: OtelKind.CONSUMER }

// The signal-specific endpoint is used as given; the base one gets /v1/traces (OTLP/HTTP spec).
// Neither set: the exporter's own default, http://localhost:4318/v1/traces.
function tracesUrl (config: Pick<Config, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'>): string | undefined {
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
  if (config.OTEL_EXPORTER_OTLP_ENDPOINT) return `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`
  return undefined
}

// Protobuf unless JSON is asked for: the specification's default, and a third of JSON's bytes for
// less than half its encoding time (bench/README.md).
function exporterOf (config: Config) {
  const protocol = config.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? config.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf'
  const Exporter = protocol === 'http/json' ? JsonExporter : ProtobufExporter
  return new Exporter({ url: tracesUrl(config) })
}

function parentContext (parent: SpanParent | undefined): Context {
  if (!parent) return ROOT_CONTEXT
  return otelTrace.setSpanContext(ROOT_CONTEXT, { traceId: parent.traceId, spanId: parent.spanId, traceFlags: Number.parseInt(parent.flags, 16), isRemote: true })
}

export function createOtlpSpanExport (config: Config, serviceName: string): SpanExport {
  // The SDK's default sampler: every new trace sampled, a caller's sampled flag followed.
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter: exporterOf(config), scheduledDelayMillis: config.OTEL_BSP_SCHEDULE_DELAY })]
  })
  const tracer = provider.getTracer('cleave')

  return {
    start (kind, name, parent, attributes) {
      const span = tracer.startSpan(name, { kind: kinds[kind], attributes }, parentContext(parent))
      const { traceId, spanId, traceFlags } = span.spanContext()
      const trace = { traceId, spanId, parentId: parent?.spanId, flags: (traceFlags & 1) === 1 ? '01' : '00', tracestate: parent?.tracestate }
      if (trace.parentId === undefined) delete trace.parentId
      if (trace.tracestate === undefined) delete trace.tracestate
      return {
        trace,
        end (outcome = {}) {
          if (outcome.name) span.updateName(outcome.name)
          if (outcome.attributes) span.setAttributes(outcome.attributes)
          if (outcome.failed) span.setStatus({ code: SpanStatusCode.ERROR })
          span.end()
        }
      }
    },
    async shutdown () {
      await provider.shutdown()
    }
  }
}
