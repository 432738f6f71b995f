import replyFrom from '@fastify/reply-from'
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify'
import type { IncomingHttpHeaders } from 'node:http'
import type { Logger } from 'pino'
import { Readable } from 'node:stream'
import type { InstanceHealth } from '../discovery/instance-health.js'
import { decodes } from '../config/url-settings.js'
import { BadUrl, BodyTooLarge } from '../http/errors.js'
import { isConnectionFailure, neverConnected, nextAttempt } from '../http/retry-policy.js'
import { requestIdHeader } from '../http/request-id.js'
import { type ServiceTokens } from '../security/service-token.js'
import { serviceTokenHeader } from '../primitives/header-names.js'
import { traceHeaders, tracestateHeader } from '../observability/tracing/index.js'
import { deferredBody } from './deferred-body.js'
import { wholeBody } from './signed-body.js'
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
  /** Bodies declared larger than this are refused here; chunked ones are left to the service's own limit, or counted as they are read whole for signing. */
  bodyLimit: number
}

/** One relay of a request, settled when the module answered (or not): what its breaker counts. */
export type Relay = () => Promise<void>

interface Outcome { resolve (): void, reject (error: Error): void }

const methods: HTTPMethods[] = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']
const timeouts = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

// Meaningful for one connection only (RFC 9110 §7.6.1, RFC 9113 §3.2.1), credentials and challenges
// for a proxy, which the gateway is not (RFC 9110 §11.7), and `expect`, which undici refuses to send.
const hopByHop = [
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'http2-settings',
  'proxy-authorization', 'proxy-authenticate', 'proxy-authentication-info', 'expect'
]

function endToEnd<H extends IncomingHttpHeaders> (headers: H): H {
  const listed = typeof headers.connection === 'string' ? headers.connection.toLowerCase().split(',').map((name) => name.trim()) : []
  const kept = { ...headers }
  for (const name of [...hopByHop, ...listed]) delete kept[name]
  return kept
}

// Who connected, to which host, over what: claims only the first hop can make. A client's own
// are dropped, unless a proxy of the deployment's own stands in front (TRUST_PROXY).
function withoutForwarding (headers: IncomingHttpHeaders): void {
  for (const name of Object.keys(headers)) {
    if (name === 'forwarded' || name === 'x-real-ip' || name.startsWith('x-forwarded-')) delete headers[name]
  }
}

// A client's own service token is never passed on: the gateway vouches for the request itself.
// The service's span is a child of the gateway's (a tracestate is kept only with a valid
// traceparent). With tracing off, the caller's trace headers pass as they came.
function forwardedHeaders (request: FastifyRequest, module: string, headers: IncomingHttpHeaders, tokens: ServiceTokens | undefined, trustProxy: boolean): IncomingHttpHeaders {
  const kept = endToEnd(headers)
  const peer = request.socket.remoteAddress ?? request.ip
  delete kept[serviceTokenHeader]
  const proxied: IncomingHttpHeaders = trustProxy ? headers : {}
  if (!trustProxy) withoutForwarding(kept)
  if (request.trace) {
    delete kept[tracestateHeader]
    Object.assign(kept, traceHeaders(request.trace))
  }
  return {
    ...kept,
    ...(tokens === undefined ? {} : { [serviceTokenHeader]: tokens.sign({ method: request.method, target: request.url, module }, Buffer.isBuffer(request.body) ? request.body : undefined) }),
    [requestIdHeader]: request.id,
    // The hop the gateway saw: the connection's address (request.ip reads X-Forwarded-For with TRUST_PROXY).
    'x-forwarded-for': proxied['x-forwarded-for'] ? `${String(proxied['x-forwarded-for'])}, ${peer}` : peer,
    'x-forwarded-host': proxied['x-forwarded-host'] ?? request.headers.host,
    'x-forwarded-proto': proxied['x-forwarded-proto'] ?? request.protocol
  }
}

// The connection closed before the answer began: the client left (or the server is closing). A
// body it cut short fails the relay, which reply-from logs at warn before onError can tell why:
// such a request writes this one line, at info, and then only errors. A request that was whole
// goes on: whatever the module does with it is the module's, and logged as usual.
function connectionClosed (request: FastifyRequest, module: string): void {
  request.log.info({ method: request.method, url: request.url, module, requestComplete: request.raw.complete }, 'connection closed before the answer')
  if (!request.raw.complete && (request.log as Logger).isLevelEnabled('warn')) request.log.level = 'error'
}

function hasBody (request: FastifyRequest): boolean {
  const length = request.headers['content-length']
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

function failureCode (error: Error): string | undefined {
  return ((error as { cause?: Error }).cause as NodeJS.ErrnoException | undefined)?.code ?? (error as NodeJS.ErrnoException).code
}

// Each module prefix goes to one instance of the module. Bodies are relayed as raw bytes, never
// parsed here, so the service validates exactly what the client sent: streamed, or read whole
// first when the request is signed (its token names the body's digest).
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
    // A body read whole is sent as its bytes: reply-from would encode a JSON one again.
    const whole = Buffer.isBuffer(request.body) ? { body: request.body, contentType: request.headers['content-type'] ?? 'application/octet-stream' } : {}
    reply.from(`${instance}${request.url}`, {
      ...whole,
      timeout: upstreamTimeoutMs,
      // reply-from's own retries are off: relay() decides, by the one retry policy.
      retryDelay: () => null,
      rewriteRequestHeaders: (_request, headers) => forwardedHeaders(request, module, headers as IncomingHttpHeaders, app.serviceTokens, app.config.TRUST_PROXY),
      rewriteHeaders: (headers) => {
        health.answered(instance)
        outcome.resolve()
        return endToEnd(headers as IncomingHttpHeaders)
      },
      // No one is left to relay the answer to.
      onResponse: (_request, _reply, res) => {
        if (reply.raw.destroyed) res.stream.destroy()
        else reply.send(res.stream)
      },
      onError: (_reply, { error }) => {
        // The client cut its body short: not the module's failure, and no one to answer.
        if (reply.raw.destroyed && !request.raw.complete) {
          outcome.resolve()
          return
        }
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
      // reply-from decodes the whole URL before relaying it and throws a bare URIError (a 500) when
      // it cannot: the router already refuses such a path, so this catches a query string like ?a=%ZZ.
      if (!decodes(request.url)) throw new BadUrl()
      const instances = await upstreams.order(module)
      if (instances.length === 0) throw await upstreams.noneInRotation(module)
      // A signed request's body is read whole (signed-body.ts), and can go to any instance as it is.
      if (app.serviceTokens !== undefined && request.body instanceof Readable && hasBody(request)) {
        try {
          request.body = await wholeBody(request.body, bodyLimit)
        } catch (error) {
          // The client left, or was cut off for trickling (REQUEST_TIMEOUT_MS): no one to answer.
          if (!request.raw.destroyed) throw error
          connectionClosed(request, module)
          return reply
        }
      }
      // With one instance there is no next one to keep the body whole for.
      const source = instances.length > 1 && request.body instanceof Readable ? request.body : undefined
      reply.raw.once('close', () => { if (!reply.raw.headersSent) connectionClosed(request, module) })
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
