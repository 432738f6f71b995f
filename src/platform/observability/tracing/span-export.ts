// Spans sent to an OpenTelemetry collector, when the standard OTEL_* variables ask for it. Off,
// nothing of the SDK is loaded: tracing stays Cleave's own ids in headers and logs.
import type { Config } from '../../config/config.js'
import type { SpanExport } from './span.js'

// The specification's default exporter is otlp, but Cleave's export is opt-in: an exporter or an
// endpoint must be named. OTEL_SDK_DISABLED and TRACING=false win over both.
export function spanExportEnabled (config: Pick<Config, 'TRACING' | 'OTEL_SDK_DISABLED' | 'OTEL_TRACES_EXPORTER' | 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'>): boolean {
  if (!config.TRACING || config.OTEL_SDK_DISABLED || config.OTEL_TRACES_EXPORTER === 'none') return false
  return config.OTEL_TRACES_EXPORTER === 'otlp' || config.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined || config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined
}

/** The OTLP exporter when enabled (the SDK imported only then), else undefined. */
export async function loadSpanExport (config: Config, serviceName: string): Promise<SpanExport | undefined> {
  if (!spanExportEnabled(config)) return undefined
  const { createOtlpSpanExport } = await import('./otlp.js')
  return createOtlpSpanExport(config, config.OTEL_SERVICE_NAME ?? serviceName)
}
