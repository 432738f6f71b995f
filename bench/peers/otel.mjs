// OpenTelemetry as its guide sets it up for Node: the SDK with every auto-instrumentation, spans
// exported over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT. Loaded with --import before the server.
import { getNodeAutoInstrumentations } from '@opentelemetry/auto-instrumentations-node'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { NodeSDK } from '@opentelemetry/sdk-node'
import { register } from 'node:module'

// ESM imports are instrumented through this loader hook; without it only require() is seen.
register('@opentelemetry/instrumentation/hook.mjs', import.meta.url)
const sdk = new NodeSDK({ traceExporter: new OTLPTraceExporter(), instrumentations: [getNodeAutoInstrumentations()] })
sdk.start()
process.once('SIGTERM', () => { void sdk.shutdown() })
