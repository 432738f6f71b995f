// W3C Trace Context level 1 (https://www.w3.org/TR/trace-context/): the traceparent header parsed
// and formatted, and new ids. Anything that does not parse starts a new trace, as the spec asks.
import { randomFillSync } from 'node:crypto'

export const traceparentHeader = 'traceparent'
export const tracestateHeader = 'tracestate'

export interface TraceContext {
  /** 32 lowercase hex digits, shared by every process the request reaches. */
  traceId: string
  /** 16 lowercase hex digits: this process's span for the work it is doing. */
  spanId: string
  /** The span that caused this one (the caller's), when there was one. */
  parentId?: string
  /** Two hex digits; only "sampled" (01) is defined in version 00. */
  flags: string
  /** Vendor state, passed on unchanged. */
  tracestate?: string
}

const zeroTraceId = '0'.repeat(32)
const zeroSpanId = '0'.repeat(16)
const hex2 = /^[0-9a-f]{2}$/
const ids = /^[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/
// The spec allows dropping a tracestate longer than this rather than parsing it.
export const maxTracestate = 512

// One random fill per 512 span ids: crypto.randomBytes per request costs more than the rest of this file.
const pool = Buffer.allocUnsafe(4096)
let offset = pool.length
function randomHex (bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool)
    offset = 0
  }
  const start = offset
  offset += bytes
  return pool.toString('hex', start, offset)
}

export function newSpanId (): string {
  for (;;) {
    const id = randomHex(8)
    if (id !== zeroSpanId) return id
  }
}

export function newTraceId (): string {
  for (;;) {
    const id = randomHex(16)
    if (id !== zeroTraceId) return id
  }
}

/**
 * The caller's trace id, parent span id and flags, or undefined when the header is absent or
 * invalid. Version ff and upper-case digits are invalid; a later version is read by its
 * version-00 prefix, as the spec says.
 */
export function parseTraceparent (value: string | undefined): { traceId: string, parentId: string, flags: string } | undefined {
  if (typeof value !== 'string' || value.length < 55) return undefined
  const version = value.slice(0, 2)
  if (!hex2.test(version) || version === 'ff' || value[2] !== '-') return undefined
  if (version === '00' ? value.length !== 55 : value.length > 55 && value[55] !== '-') return undefined
  const rest = value.slice(3, 55)
  if (!ids.test(rest)) return undefined
  const traceId = rest.slice(0, 32)
  const parentId = rest.slice(33, 49)
  if (traceId === zeroTraceId || parentId === zeroSpanId) return undefined
  // Only the sampled bit means anything in version 00; unknown bits are not passed on.
  const flags = (Number.parseInt(rest.slice(50, 52), 16) & 1) === 1 ? '01' : '00'
  return { traceId, parentId, flags }
}

// Both ids of a new trace from one hex conversion: most requests start a trace.
function newTrace (): TraceContext {
  for (;;) {
    const hex = randomHex(24)
    const traceId = hex.slice(0, 32)
    const spanId = hex.slice(32)
    if (traceId !== zeroTraceId && spanId !== zeroSpanId) return { traceId, spanId, flags: '00' }
  }
}

/** A span continuing the caller's trace, or the first span of a new one. */
export function continueTrace (traceparent: string | undefined, tracestate?: string | undefined): TraceContext {
  const parent = parseTraceparent(traceparent)
  if (!parent) return newTrace()
  const trace: TraceContext = { traceId: parent.traceId, spanId: newSpanId(), parentId: parent.parentId, flags: parent.flags }
  if (typeof tracestate === 'string' && tracestate.length > 0 && tracestate.length <= maxTracestate) trace.tracestate = tracestate
  return trace
}

/** The header for the next hop: same trace, this span as its parent. */
export function traceparentOf (trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.flags}`
}

/** traceparent, and tracestate when there is one, for an outgoing request. */
export function traceHeaders (trace: TraceContext): Record<string, string> {
  const headers: Record<string, string> = { [traceparentHeader]: traceparentOf(trace) }
  if (trace.tracestate) headers[tracestateHeader] = trace.tracestate
  return headers
}
