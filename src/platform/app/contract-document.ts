// The OpenAPI document of a module known here only by its contract (an external module): the one
// a Cleave process serving it would give, made by the same platform and swagger plugin from the
// same route definitions, on a server that never listens and only answers its own /docs/json.
import type { Config } from '../config/config.js'
import { createPlatformServer } from './platform-server.js'
import type { OpenApiDocument } from '../primitives/openapi-document.js'
import type { Contract } from '../contracts/define-contract.js'
import type { ModuleRegistry } from '../contracts/module-registry.js'
import { operationRoute } from '../contracts/operation-routes.js'

export async function contractDocument (contract: Contract, config: Config, registry: ModuleRegistry): Promise<OpenApiDocument> {
  const app = await createPlatformServer(config, registry, { openapi: { description: `API of ${contract.module}, implemented outside Cleave` }, adminRoutes: false })
  try {
    const docs = { serviceAuth: app.serviceTokens !== undefined, bodyLimit: config.BODY_LIMIT_BYTES }
    for (const [name, route] of Object.entries(contract.routes)) {
      app.route({
        ...operationRoute(contract, name, route, docs),
        handler: async () => { throw new Error(`${contract.module} is implemented outside Cleave; this server only documents it`) }
      })
    }
    return (await app.inject('/docs/json')).json()
  } finally {
    await app.close()
  }
}
