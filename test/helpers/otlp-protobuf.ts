// Reads an OTLP/HTTP protobuf body (ExportTraceServiceRequest, opentelemetry-proto's trace.proto)
// into the shape of its JSON encoding, so a test's collector reads either the same way. Only the
// fields the tests look at; ids come out as hex, as OTLP JSON carries them.

interface Field { number: number, wire: number, value: bigint | Buffer }

function varint (buffer: Buffer, at: { offset: number }): bigint {
  let result = 0n
  for (let shift = 0n; ; shift += 7n) {
    const byte = buffer[at.offset++]
    result |= BigInt(byte & 0x7f) << shift
    if ((byte & 0x80) === 0) return result
  }
}

function fields (buffer: Buffer): Field[] {
  const at = { offset: 0 }
  const found: Field[] = []
  while (at.offset < buffer.length) {
    const key = Number(varint(buffer, at))
    const number = key >>> 3
    const wire = key & 7
    if (wire === 0) found.push({ number, wire, value: varint(buffer, at) })
    else if (wire === 1) { found.push({ number, wire, value: buffer.readBigUInt64LE(at.offset) }); at.offset += 8 } else if (wire === 2) {
      const length = Number(varint(buffer, at))
      found.push({ number, wire, value: buffer.subarray(at.offset, at.offset + length) })
      at.offset += length
    } else if (wire === 5) { found.push({ number, wire, value: BigInt(buffer.readUInt32LE(at.offset)) }); at.offset += 4 } else throw new Error(`wire type ${wire} not read here`)
  }
  return found
}

const all = (buffer: Buffer, number: number) => fields(buffer).filter((field) => field.number === number).map((field) => field.value)
const bytes = (buffer: Buffer, number: number) => all(buffer, number)[0] as Buffer | undefined
const text = (buffer: Buffer, number: number) => bytes(buffer, number)?.toString('utf8')
const integer = (buffer: Buffer, number: number) => all(buffer, number)[0] as bigint | undefined

// AnyValue: string_value 1, bool_value 2, int_value 3, double_value 4.
function anyValue (buffer: Buffer) {
  const [field] = fields(buffer)
  if (!field) return {}
  if (field.number === 1) return { stringValue: (field.value as Buffer).toString('utf8') }
  if (field.number === 2) return { boolValue: field.value === 1n }
  if (field.number === 3) return { intValue: String(BigInt.asIntN(64, field.value as bigint)) }
  if (field.number === 4) return { doubleValue: Buffer.from((field.value as bigint).toString(16).padStart(16, '0'), 'hex').readDoubleBE() }
  return {}
}

// KeyValue: key 1, value 2.
const attributes = (buffer: Buffer, number: number) =>
  (all(buffer, number) as Buffer[]).map((kv) => ({ key: text(kv, 1) ?? '', value: anyValue(bytes(kv, 2) ?? Buffer.alloc(0)) }))

// Span: trace_id 1, span_id 2, trace_state 3, parent_span_id 4, name 5, kind 6, attributes 9, status 15 (code 3).
function span (buffer: Buffer) {
  const status = bytes(buffer, 15)
  return {
    traceId: bytes(buffer, 1)?.toString('hex') ?? '',
    spanId: bytes(buffer, 2)?.toString('hex') ?? '',
    parentSpanId: bytes(buffer, 4)?.toString('hex') ?? '',
    name: text(buffer, 5) ?? '',
    kind: Number(integer(buffer, 6) ?? 0n),
    attributes: attributes(buffer, 9),
    status: status === undefined ? {} : { code: Number(integer(status, 3) ?? 0n) }
  }
}

/** ExportTraceServiceRequest: resource_spans 1 → resource 1 (attributes 1), scope_spans 2 → spans 2. */
export function decodeTraceRequest (body: Buffer) {
  return {
    resourceSpans: (all(body, 1) as Buffer[]).map((resourceSpans) => ({
      resource: { attributes: attributes(bytes(resourceSpans, 1) ?? Buffer.alloc(0), 1) },
      scopeSpans: (all(resourceSpans, 2) as Buffer[]).map((scopeSpans) => ({ spans: (all(scopeSpans, 2) as Buffer[]).map(span) }))
    }))
  }
}
