import { Type } from '@sinclair/typebox'
import { maxTimerMs } from './limits.js'
import { LogLevel } from './log-level.js'

function OtlpProtocol (description: string) {
  return Type.Union([Type.Literal('http/protobuf'), Type.Literal('http/json')], { defaultText: '`http/protobuf`', description })
}

/** Logs, metrics and traces: what a process writes about itself and where it goes. */
export const observabilitySettings = {
  LOG_LEVEL: LogLevel,
  LOG_FORMAT: Type.Union([Type.Literal('json'), Type.Literal('pretty')], { default: 'json', description: '`json`: one JSON object a line (production); `pretty`: readable coloured lines for a person, via pino-pretty, loaded only then (`npm run dev` picks it on a terminal). pino-pretty is a development dependency: where it is not installed (the image, any `npm ci --omit=dev`) `pretty` is refused at start-up, so production stays lean and its logs stay machine-readable' }),
  SERVICE_NAME: Type.Optional(Type.String({ minLength: 1, defaultText: '`cleave:<modules joined by +>` (gateway: `cleave:gateway`; worker: that name and `:worker`)', description: 'the `service` field of every log line' })),
  TRACING: Type.Boolean({ default: true, description: 'read W3C `traceparent`, pass it on every call and event, and write its `trace_id`/`span_id` in every log line; `false`: none of it (the gateway relays trace headers unchanged)' }),
  METRICS: Type.Boolean({ default: true, description: 'serve `GET /metrics` and time every HTTP request for it; `false`: no route, no per-request hooks' }),
  // OpenTelemetry's own variables (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/):
  // these decide whether and where spans are exported; the exporter reads OTEL_EXPORTER_OTLP_HEADERS,
  // _TIMEOUT and _COMPRESSION itself.
  OTEL_SDK_DISABLED: Type.Boolean({ default: false, description: '`true`: no OpenTelemetry export, whatever the other `OTEL_*` variables say' }),
  OTEL_TRACES_EXPORTER: Type.Optional(Type.Union([Type.Literal('otlp'), Type.Literal('none')], { description: '`otlp`: export spans over OTLP/HTTP (to `http://localhost:4318` unless an endpoint is set); `none`, or unset without an endpoint: no export' })),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://', secret: true, urlKind: 'otlp', description: 'OTLP/HTTP collector base URL (spans go to `<url>/v1/traces`); setting it turns span export on (docs/guides/operating.md)' })),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://', secret: true, urlKind: 'otlp', description: 'full OTLP/HTTP URL for spans, used as given; setting it turns span export on' })),
  OTEL_EXPORTER_OTLP_PROTOCOL: Type.Optional(OtlpProtocol('how spans are encoded over OTLP/HTTP: `http/protobuf` (the specification\'s default, and the cheaper: bench/README.md) or `http/json`; gRPC is not offered')),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: Type.Optional(OtlpProtocol('the same for spans alone; wins over `OTEL_EXPORTER_OTLP_PROTOCOL`')),
  OTEL_SERVICE_NAME: Type.Optional(Type.String({ minLength: 1, defaultText: '`SERVICE_NAME`, or its default', description: 'the `service.name` of exported spans' })),
  OTEL_BSP_SCHEDULE_DELAY: Type.Integer({ minimum: 1, maximum: maxTimerMs, default: 5000, description: 'milliseconds between two batches of exported spans' })
}
