// GET/PATCH /admin/config, behind the admin token.
import type { FastifyInstance } from 'fastify'
import { requireAdminToken } from '../../security/admin-auth.js'
import { sendProblem, toProblem } from '../../http/errors.js'
import { parseJsonBody } from '../../http/json-body.js'
import { isPlainObject } from './merge-patch.js'
import type { InvalidField } from './schema.js'
import { refusal } from './errors.js'

export const runtimeConfigPath = '/admin/config'

export default async function routes (app: FastifyInstance, { token }: { token: string }) {
  app.addHook('onRequest', requireAdminToken(token))
  // RFC 7396's own media type, and plain JSON for convenience.
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, parseJsonBody)

  const view = () => ({ version: app.runtimeConfig.version, values: app.runtimeConfig.current, overrides: app.runtimeConfig.overrides })

  app.get(runtimeConfigPath, { schema: { hide: true } }, async () => view())

  app.patch(runtimeConfigPath, { schema: { hide: true } }, async (request, reply) => {
    try {
      if (!isPlainObject(request.body)) throw refusal([{ field: '/', message: 'Expected a JSON object (a JSON merge patch)' }])
      return await app.runtimeConfig.update(request.body)
    } catch (error) {
      const fields = (error as { fields?: InvalidField[] }).fields
      if (!fields) throw error
      const problem = toProblem(error as Parameters<typeof toProblem>[0], request)
      return sendProblem(reply, { ...problem, errors: fields.map((field) => ({ in: 'body', ...field })) })
    }
  })
}
