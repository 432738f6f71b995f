// What an exported span is, to the code that starts one and to the exporter that sends it.
import type { TraceContext } from './trace-context.js'

export type SpanKind = 'server' | 'client' | 'consumer'
export type SpanAttributes = Record<string, string | number | boolean>

/** The span a new one continues: its trace, its own span id, its flags. */
export interface SpanParent {
  traceId: string
  spanId: string
  flags: string
  tracestate?: string
}

export interface OpenSpan {
  /** The span's ids as Cleave passes them on and logs them: the exported span's own. */
  trace: TraceContext
  end (outcome?: { name?: string, attributes?: SpanAttributes, failed?: boolean }): void
}

export interface SpanExport {
  start (kind: SpanKind, name: string, parent: SpanParent | undefined, attributes?: SpanAttributes): OpenSpan
  /** Sends what is still batched and stops. */
  shutdown (): Promise<void>
}
