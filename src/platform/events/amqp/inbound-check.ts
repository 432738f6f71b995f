// What an incoming message must be before a Cleave handler sees it: a structured-mode CloudEvent
// whose type an external module's contract declares, from that module, with data of that schema.
import sjson from 'secure-json-parse'
import type { ValidateFunction } from 'ajv'
import { compileExact } from '../../http/validation.js'
import { validationDetail } from '../../primitives/validation-issues.js'
import type { EventCatalog } from '../catalog.js'
import type { EventEnvelope } from '../event.js'
import { CloudEvent, cloudEventMediaType, envelopeOf } from './cloud-event.js'

/** Why the check refuses a message, as a bounded metric label. */
export type RejectionKind = 'too-large' | 'content-type' | 'not-json' | 'not-cloudevent' | 'unknown-type' | 'not-subscribed' | 'wrong-source' | 'invalid-data'

export type Verdict = { event: EventEnvelope } | { kind: RejectionKind, reason: string }

const isCloudEvent = compileExact(CloudEvent)

/** A value from the message, quoted and cut short: enough to find it, never a whole payload. */
function quoted (value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value)
}

function mediaTypeOf (contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase()
}

/**
 * The body as bytes. rabbitmq-client decodes text/plain and application/json bodies itself: such a
 * value is encoded again, and one nested too deep for JSON.stringify has none (undefined).
 */
export function bodyBytes (body: unknown): Buffer | undefined {
  if (Buffer.isBuffer(body)) return body
  if (typeof body === 'string') return Buffer.from(body)
  try {
    return Buffer.from(JSON.stringify(body))
  } catch {
    return undefined
  }
}

function parse (body: unknown): { value: unknown } | { error: string } {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : undefined
  // The client already decoded it (it does so for application/json, which is refused before this).
  if (text === undefined) return { value: body }
  try {
    return { value: sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }) }
  } catch (error) {
    return { error: (error as Error).message }
  }
}

// One reader per subscribing module: it accepts only the external events that module handles.
// Messages past bodyLimit bytes (BODY_LIMIT_BYTES, as for HTTP bodies) are refused before anything reads them.
export function createInboundCheck (options: { module: string, catalog: EventCatalog, external: ReadonlySet<string>, subscribes: readonly string[], bodyLimit: number }) {
  const { module, catalog, external, subscribes, bodyLimit } = options
  const dataChecks = new Map<string, ValidateFunction>()

  function dataCheck (type: string): ValidateFunction {
    let check = dataChecks.get(type)
    if (!check) dataChecks.set(type, check = compileExact(catalog.schema(type)))
    return check
  }

  function publisherOf (type: string): string | undefined {
    try {
      return catalog.publisher(type)
    } catch {
      return undefined
    }
  }

  return function check (message: { contentType?: string, body: unknown }): Verdict {
    // A body the client already decoded (application/json) is refused by its content type below.
    const { body } = message
    const size = Buffer.isBuffer(body) ? body.length : typeof body === 'string' ? Buffer.byteLength(body) : 0
    if (size > bodyLimit) return { kind: 'too-large', reason: `the body is ${size} bytes, more than BODY_LIMIT_BYTES (${bodyLimit})` }
    const mediaType = mediaTypeOf(message.contentType)
    if (mediaType !== cloudEventMediaType) {
      return { kind: 'content-type', reason: `content-type ${mediaType === undefined ? 'is missing' : quoted(mediaType)}: a CloudEvent in structured mode is ${cloudEventMediaType}` }
    }
    const parsed = parse(message.body)
    if ('error' in parsed) return { kind: 'not-json', reason: `the body is not JSON: ${parsed.error}` }
    const cloudEvent = parsed.value
    if (!isCloudEvent(cloudEvent)) return { kind: 'not-cloudevent', reason: `not a CloudEvent 1.0: ${validationDetail(isCloudEvent.errors)}` }
    const { type, source, datacontenttype } = cloudEvent as CloudEvent
    const publisher = publisherOf(type)
    if (publisher === undefined || !external.has(publisher)) {
      const declared = publisher === undefined ? 'no contract declares it' : `it is ${publisher}'s, a Cleave module, which publishes through its outbox`
      return { kind: 'unknown-type', reason: `type ${quoted(type)} is not an event of an external module: ${declared}` }
    }
    if (!subscribes.includes(type)) return { kind: 'not-subscribed', reason: `${module} does not subscribe to ${type}` }
    if (source !== publisher) return { kind: 'wrong-source', reason: `source ${quoted(source)} is not ${publisher}, whose contract declares ${type}` }
    if (datacontenttype !== undefined && mediaTypeOf(datacontenttype) !== 'application/json') {
      return { kind: 'invalid-data', reason: `datacontenttype ${quoted(datacontenttype)}: data must be application/json` }
    }
    const data = dataCheck(type)
    if (!data((cloudEvent as CloudEvent).data)) return { kind: 'invalid-data', reason: `data fails the schema of ${type}: ${validationDetail(data.errors, 'data')}` }
    return { event: envelopeOf(cloudEvent as CloudEvent) }
  }
}
