// The host a request names (RFC 9112 §3.2): more than one Host line, or one that is not
// host[:port], is a 400. An absolute-form target (`GET http://a.example/x HTTP/1.1`), which a
// server must accept (§3.2.2), is served by its path with its authority as the Host, so routes,
// log lines, service tokens and the gateway's relayed URL all see the origin form.
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { createError } from '../primitives/coded-errors.js'

export const BadHost = createError('CLV_BAD_HOST', '%s: a request names one host, as host[:port]', 400)

// uri-host [":" port] (RFC 9110 §7.2, RFC 3986 §3.2.2): an IP literal in brackets, or a name of
// unreserved characters, sub-delims and percent-encodings. No userinfo (RFC 9110 §4.2.4).
const hostValue = /^(?:\[[\da-f:.]+\]|(?:[\w.~!$&'()*+,;=-]|%[\da-f]{2})+)(?::\d*)?$/i
const absoluteForm = /^https?:\/\/([^/?#]*)(.*)$/i

// Node keeps the first of two Host lines in `headers`: only the raw lines show the second.
function hostLines (rawHeaders: string[]): number {
  let count = 0
  for (let at = 0; at < rawHeaders.length; at += 2) {
    if (rawHeaders[at].length === 4 && rawHeaders[at].toLowerCase() === 'host') count++
  }
  return count
}

function refusal (request: FastifyRequest): Error | undefined {
  if (hostLines(request.raw.rawHeaders) > 1) return new BadHost('More than one Host header')
  const { host } = request.headers
  if (host !== undefined && !hostValue.test(host)) return new BadHost('The Host header is not valid')
  // An origin-form target starts with "/"; "*" (OPTIONS) has no host of its own.
  if (request.url.startsWith('/') || request.url === '*') return undefined
  const target = absoluteForm.exec(request.url)
  if (target === null) return undefined
  const [, authority, path] = target
  if (!hostValue.test(authority)) return new BadHost('The authority of the request target is not valid')
  request.raw.url = path.startsWith('/') ? path : `/${path}`
  request.raw.headers.host = authority
  return undefined
}

async function hostHeader (app: FastifyInstance) {
  // A callback hook: no promise per request.
  app.addHook('onRequest', (request, _reply, done) => { done(refusal(request)) })
}

export default fp(hostHeader, { name: 'host-header' })
