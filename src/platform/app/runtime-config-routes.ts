// GET/PATCH /admin/config, behind the admin token.
import type { FastifyInstance } from 'fastify'
import { requireAdminToken } from '../security/admin-auth.js'
import { parseJsonBody } from '../http/json-body.js'
import { isPlainObject } from '../runtime-config/merge-patch.js'
import { refusal } from '../runtime-config/errors.js'

export const runtimeConfigPath = '/admin/config'

export default async function routes (app: FastifyInstance, { token }: { token: string }) {
  app.addHook('onRequest', requireAdminToken(token))
  // RFC 7396's own media type, and plain JSON for convenience.
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'buffer' }, parseJsonBody)

  const view = () => ({ version: app.runtimeConfig.version, values: app.runtimeConfig.current, overrides: app.runtimeConfig.overrides })

  app.get(runtimeConfigPath, { schema: { hide: true } }, async () => view())

  // A refusal lists the bad fields in its problem's errors[] (RuntimeConfigInvalid carries them).
  app.patch(runtimeConfigPath, { schema: { hide: true } }, async (request) => {
    if (!isPlainObject(request.body)) throw refusal([{ field: '/', message: 'Expected a JSON object (a JSON merge patch)' }])
    return app.runtimeConfig.update(request.body)
  })
}
