import replyFrom from '@fastify/reply-from'
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify'
import type { IncomingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import type { InstanceHealth } from '../discovery/instance-health.js'
import { BadUrl, BodyTooLarge } from '../http/errors.js'
import { isConnectionFailure, neverConnected, nextAttempt } from '../http/retry-policy.js'
import { requestIdHeader } from '../http/request-id.js'
import { serviceTokenHeader, type ServiceTokens } from '../security/service-token.js'
import { traceHeaders, tracestateHeader } from '../observability/tracing/index.js'
import { deferredBody } from './deferred-body.js'
import { BadUpstream, UpstreamBreakerOpen, UpstreamTimeout, UpstreamUnavailable } from './errors.js'
import type { Upstreams } from './upstreams.js'

export interface ProxyOptions {
  /** URL prefix → module that serves it. */
  prefixes: Map<string, string>
  upstreams: Upstreams
  /** Told of every instance that accepted no connection, and of every answer. */
  health: InstanceHealth
  /** Longest wait for an instance's response headers, and between two chunks of its body. */
  upstreamTimeoutMs: number
  /** Each module's circuit breaker around its relays: failures counted, refused while open. */
  breakers: Map<string, (relay: Relay) => Promise<unknown>>
  /** Bodies declared larger than this are refused here; chunked ones are left to the service's own limit. */
  bodyLimit: number
}

/** One relay of a request, settled when the module answered (or not): what its breaker counts. */
export type Relay = () => Promise<void>

interface Outcome { resolve (): void, reject (error: Error): void }

const methods: HTTPMethods[] = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']
const timeouts = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

// Meaningful for one connection only (RFC 9110 §7.6.1), plus `expect`, which undici refuses to send.
const hopByHop = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'expect']

function endToEnd<H extends IncomingHttpHeaders> (headers: H): H {
  const listed = typeof headers.connection === 'string' ? headers.connection.toLowerCase().split(',').map((name) => name.trim()) : []
  const kept = { ...headers }
  for (const name of [...hopByHop, ...listed]) delete kept[name]
  return kept
}

// A client's own service token is never passed on: the gateway vouches for the request itself.
// The service's span is a child of the gateway's (a tracestate is kept only with a valid
// traceparent). With tracing off, the caller's trace headers pass as they came.
function forwardedHeaders (request: FastifyRequest, headers: IncomingHttpHeaders, tokens: ServiceTokens | undefined): IncomingHttpHeaders {
  const forwardedFor = headers['x-forwarded-for']
  const kept = endToEnd(headers)
  delete kept[serviceTokenHeader]
  if (request.trace) {
    delete kept[tracestateHeader]
    Object.assign(kept, traceHeaders(request.trace))
  }
  return {
    ...kept,
    ...(tokens === undefined ? {} : { [serviceTokenHeader]: tokens.sign(request.method, request.url) }),
    [requestIdHeader]: request.id,
    'x-forwarded-for': forwardedFor ? `${forwardedFor}, ${request.ip}` : request.ip,
    'x-forwarded-host': headers['x-forwarded-host'] ?? request.headers.host,
    'x-forwarded-proto': headers['x-forwarded-proto'] ?? request.protocol
  }
}

function hasBody (request: FastifyRequest): boolean {
  const length = request.headers['content-length']
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

// reply-from decodes the whole URL before relaying it and throws a bare URIError (a 500) when it
// cannot: the router already refuses such a path, so this catches a query string like ?a=%ZZ.
function decodable (url: string): boolean {
  try {
    decodeURIComponent(url)
    return true
  } catch {
    return false
  }
}

function failureCode (error: Error): string | undefined {
  return ((error as { cause?: Error }).cause as NodeJS.ErrnoException | undefined)?.code ?? (error as NodeJS.ErrnoException).code
}

// Each module prefix goes to one instance of the module. Bodies are relayed as raw streams,
// never parsed here, so the service validates exactly what the client sent.
export default async function proxy (app: FastifyInstance, { prefixes, upstreams, health, upstreamTimeoutMs, breakers, bodyLimit }: ProxyOptions) {
  await app.register(replyFrom, {
    undici: upstreams.agent,
    disableRequestLogging: true
  })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, payload, done) => { done(null, payload) })
  // The stream is never read here, so Fastify's body limit does not apply: check the declared length.
  // A callback hook: no promise per relayed request.
  app.addHook('onRequest', (request, _reply, done) => {
    const length = request.headers['content-length']
    done(length !== undefined && Number(length) > bodyLimit ? new BodyTooLarge(bodyLimit) : undefined)
  })

  // Tries the instances in order, as the retry policy allows: on to the next whenever no
  // connection could be made (nothing was sent: any method, its body still whole in `source`),
  // and once after a broken connection for an idempotent request without a body, whose relayed
  // stream could not be sent twice. An answer, 503 included, is relayed as it is. The outcome
  // tells the module's breaker whether it answered at all: a module's own 503 (its dependency is
  // down; orders' POST when users is) says it is alive, and must not close every route of it.
  function relay (reply: FastifyReply, module: string, instances: string[], at: number, source: Readable | undefined, mayResend: boolean, outcome: Outcome): void {
    const instance = instances[at]
    const { request } = reply
    if (source) request.body = deferredBody(source)
    reply.from(`${instance}${request.url}`, {
      timeout: upstreamTimeoutMs,
      // reply-from's own retries are off: relay() decides, by the one retry policy.
      retryDelay: () => null,
      rewriteRequestHeaders: (_request, headers) => forwardedHeaders(request, headers as IncomingHttpHeaders, app.serviceTokens),
      rewriteHeaders: (headers) => {
        health.answered(instance)
        outcome.resolve()
        return endToEnd(headers as IncomingHttpHeaders)
      },
      onError: (_reply, { error }) => {
        const failure = { code: failureCode(error) }
        request.log.warn({ module, instance, code: failure.code }, 'upstream failed')
        const nothingSent = neverConnected(failure)
        if (nothingSent) health.refused(module, instance)
        if (at + 1 < instances.length && (nothingSent || mayResend) && nextAttempt(request.method, failure) === 'at-once') {
          relay(reply, module, instances, at + 1, source, nothingSent && mayResend, outcome)
          return
        }
        outcome.reject(error)
        if (isConnectionFailure(failure)) {
          reply.send(new UpstreamUnavailable(module, { cause: error }))
        } else if (failure.code !== undefined && timeouts.has(failure.code)) {
          reply.send(new UpstreamTimeout(module, upstreamTimeoutMs, { cause: error }))
        } else {
          reply.send(new BadUpstream(module, { cause: error }))
        }
      }
    })
  }

  for (const [prefix, module] of prefixes) {
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      if (!decodable(request.url)) throw new BadUrl()
      const instances = await upstreams.order(module)
      if (instances.length === 0) throw await upstreams.noneInRotation(module)
      // With one instance there is no next one to keep the body whole for.
      const source = instances.length > 1 && request.body instanceof Readable ? request.body : undefined
      let relayed = false
      breakers.get(module)!(() => new Promise<void>((resolve, reject) => {
        relayed = true
        try {
          relay(reply, module, instances, 0, source, !hasBody(request), { resolve, reject })
        } catch (error) {
          // reply-from refused the request before sending it (a 400 for characters it cannot
          // relay): the client's fault, not the module's.
          resolve()
          reply.send(error)
        }
      })).catch(() => {
        // Refused by the open breaker: nothing was sent. Otherwise relay() has answered.
        if (!relayed) reply.send(new UpstreamBreakerOpen(module))
      })
      return reply
    }
    app.route({ method: methods, url: prefix, schema: { hide: true }, handler })
    app.route({ method: methods, url: `${prefix}/*`, schema: { hide: true }, handler })
  }
}
