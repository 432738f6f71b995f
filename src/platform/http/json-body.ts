// The JSON body parser of every route: Fastify's default, with refusals that say what is wrong.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import sjson from 'secure-json-parse'
import { createError } from './errors.js'
import { bodyDigest } from './body-digest.js'

export const EmptyJsonBody = createError('CLV_EMPTY_BODY', 'The body is empty; a JSON document was announced by Content-Type', 400)
export const InvalidJson = createError('CLV_INVALID_JSON', 'The body is not valid JSON: %s', 400)
export const ForbiddenJsonKey = createError('CLV_FORBIDDEN_KEY', 'The body contains a "__proto__" key or a "constructor" with a "prototype", which no API accepts', 400)
export const UnsupportedCharset = createError('CLV_UNSUPPORTED_CHARSET', 'charset %s is not supported: JSON bodies are UTF-8 (RFC 8259)', 415)

const charsetParameter = /;\s*charset\s*=\s*"?([^";\s]*)/i

// RFC 8259 JSON is UTF-8; a body announced as UTF-16 (or anything else) would be read wrongly.
function refusedCharset (contentType: string | undefined): string | undefined {
  if (contentType === undefined || !contentType.includes('=')) return undefined
  const charset = charsetParameter.exec(contentType)?.[1]
  return charset === undefined || /^utf-?8$/i.test(charset) ? undefined : charset
}

export function parseJsonBody (request: FastifyRequest, raw: Buffer, done: (error: Error | null, value?: unknown) => void): void {
  const charset = refusedCharset(request.headers['content-type'])
  if (charset !== undefined) return done(new UnsupportedCharset(JSON.stringify(charset)))
  if (raw.length === 0) return done(new EmptyJsonBody())
  // A signed call's token names its body's digest: of the bytes, as they came (service-auth.ts).
  if (request.serviceCaller !== undefined) request.bodyDigest = bodyDigest(raw)
  const body = raw.toString('utf8')
  try {
    done(null, sjson.parse(body, undefined, { protoAction: 'error', constructorAction: 'error' }))
  } catch (error) {
    const { message } = error as Error
    // secure-json-parse's own wording for a key it refuses; everything else is JSON.parse's.
    done(message.includes('forbidden prototype property') ? new ForbiddenJsonKey() : new InvalidJson(message))
  }
}

async function jsonBody (app: FastifyInstance) {
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parseJsonBody)
  // Every route speaks JSON; a text body is the wrong media type (415), not a malformed object.
  app.removeContentTypeParser('text/plain')
}

export default fp(jsonBody, { name: 'json-body' })
