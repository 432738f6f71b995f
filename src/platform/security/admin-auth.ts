// The guard every /admin/* scope adds: ADMIN_TOKEN as a bearer token, or as the HTTP Basic
// password so a person can open the dashboard in a browser.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import { createError, sendProblem, toProblem } from '../http/errors.js'

export const AdminUnauthorized = createError('CLV_ADMIN_UNAUTHORIZED', 'Admin routes need the admin token: "Authorization: Bearer <token>", or HTTP Basic with the token as password', 401)

// One challenge per header line: Chromium reads only the first challenge of a line, so
// 'Bearer, Basic realm=…' on one line would never make it prompt for a password.
export const adminChallenges = ['Bearer realm="cleave admin"', 'Basic realm="cleave admin"']

function presented (authorization: string | undefined): string | undefined {
  if (!authorization) return undefined
  const [scheme, credentials = ''] = authorization.split(' ', 2)
  if (/^bearer$/i.test(scheme)) return credentials.trim()
  if (!/^basic$/i.test(scheme)) return undefined
  const decoded = Buffer.from(credentials.trim(), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon === -1 ? undefined : decoded.slice(colon + 1)
}

// Digests of equal length, so the comparison takes the same time whatever was sent.
function digest (value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

export function requireAdminToken (token: string): onRequestHookHandler {
  const expected = digest(token)
  return async function adminGuard (request: FastifyRequest, reply: FastifyReply) {
    const given = presented(request.headers.authorization)
    if (given !== undefined && timingSafeEqual(digest(given), expected)) {
      // An operator fixing a too-low limit must not be locked out by it.
      request.rateLimitExempt = true
      return
    }
    reply.header('www-authenticate', adminChallenges)
    return sendProblem(reply, toProblem(new AdminUnauthorized(), request))
  }
}
