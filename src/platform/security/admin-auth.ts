// The guard every /admin/* scope adds: ADMIN_TOKEN as a bearer token, or as the HTTP Basic
// password so a person can open the dashboard in a browser. Each failure counts against the
// client's budget of failed authentications (rate-limit.ts), whatever RATE_LIMIT_MAX says.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import { toProblem } from '../http/errors.js'
import { createError } from '../primitives/coded-errors.js'
import { sendProblem } from '../primitives/problem.js'
import { tooManyAuthFailures, type AuthFailureCount } from './rate-limit.js'

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

// Reads this client's failed attempts in the window, or counts one more; over the budget, the 429 to send.
async function overBudget (request: FastifyRequest, reply: FastifyReply, failed: boolean) {
  let count: AuthFailureCount
  try {
    // The limiter has no allow list, so it always answers with a count.
    count = await request.server.authFailures(request, { increment: failed }) as AuthFailureCount
  } catch (err) {
    // Counted in this process while Redis does not answer: still limited, and operators get in.
    request.log.warn({ err }, 'admin auth: the shared count of failed attempts is unreachable; counting in this process')
    count = request.server.localAuthFailures(request, { increment: failed })
  }
  // The budget's last failure still gets its 401; a right token needs a failure left.
  const over = failed ? count.isExceeded : count.remaining === 0
  return over ? tooManyAuthFailures(reply, count.ttl) : undefined
}

export function requireAdminToken (token: string): onRequestHookHandler {
  const expected = digest(token)
  return async function adminGuard (request: FastifyRequest, reply: FastifyReply) {
    const given = presented(request.headers.authorization)
    if (given !== undefined && timingSafeEqual(digest(given), expected)) {
      // Refused too once the budget is spent: else a guesser would know the right token by its answer.
      const refusal = await overBudget(request, reply, false)
      if (refusal) {
        request.log.warn({ clientAddress: request.ip }, 'admin token refused: right token, but this client is over its budget of failed attempts')
        throw refusal
      }
      // An operator fixing a too-low limit must not be locked out by it.
      request.rateLimitExempt = true
      return
    }
    // No credential at all is a browser's first visit, before its password prompt: not a guess.
    if (given !== undefined) {
      const refusal = await overBudget(request, reply, true)
      // Over the budget the 429s are counted in metrics, not logged: a guesser would flood the log.
      if (refusal) throw refusal
      request.log.warn({ clientAddress: request.ip }, 'admin authentication failed')
    }
    reply.header('www-authenticate', adminChallenges)
    return sendProblem(reply, toProblem(new AdminUnauthorized(), request))
  }
}
