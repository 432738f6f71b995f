import { Type, type Static } from '@sinclair/typebox'
import type { FastifyReply } from 'fastify'

// RFC 9457 body; extension members (errors, checks) are allowed through.
export const Problem = Type.Object({
  type: Type.String({ description: 'stable URI naming the kind of problem' }),
  title: Type.String(),
  status: Type.Integer({ minimum: 400, maximum: 599 }),
  detail: Type.Optional(Type.String()),
  instance: Type.Optional(Type.String()),
  code: Type.String({ description: 'stable machine-readable code, e.g. CLV_USERS_NOT_FOUND' }),
  requestId: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(Type.Object({
    in: Type.String({ description: 'body, params, querystring or headers' }),
    field: Type.String({ description: 'JSON pointer to the bad value' }),
    message: Type.String()
  })))
}, { $id: 'Problem', additionalProperties: true })

export type ProblemBody = Static<typeof Problem> & Record<string, unknown>

export const problemContentType = 'application/problem+json'

export function problemResponse (description: string) {
  return { description, content: { [problemContentType]: { schema: Type.Ref(Problem) } } }
}

export function problemType (code: string): string {
  return `urn:cleave:problem:${code.toLowerCase().replaceAll('_', '-')}`
}

// An answer sent before the body is all in (a 413, 415 or 401 to a POST) closes the connection:
// otherwise Node reads and discards the rest to reach the next request, however long it is (a
// chunk may declare 2^64-1 bytes, which llhttp accepts), until the request timeout cuts it. Only a
// refusal can come that early, so the happy path pays nothing. `complete` is absent under inject.
export function sendProblem (reply: FastifyReply, problem: ProblemBody): FastifyReply {
  if (reply.request.raw.complete === false) reply.header('connection', 'close')
  return reply.code(problem.status).type(problemContentType).send(problem)
}
