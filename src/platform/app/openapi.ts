import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import type { ModuleRegistry } from '../contracts/module-registry.js'
import { serviceTokenScheme } from '../contracts/operation-docs.js'
import { serviceName } from '../config/service-name.js'
import { serviceTokenHeader } from '../primitives/header-names.js'

export interface OpenapiOptions {
  /** Where each module's tag finds its description. */
  registry: ModuleRegistry
  description?: string
  /** Serve Swagger UI at /docs (the gateway serves its own, over the merged document). */
  ui?: boolean
}

/** The tag of the routes every process serves (health). */
export const platformTag = { name: 'platform', description: 'What every Cleave process serves: liveness, readiness and the health report' }

export const securitySchemes = {
  [serviceTokenScheme]: {
    type: 'apiKey',
    in: 'header',
    name: serviceTokenHeader,
    description: 'A short-lived token one Cleave process signs for another (the gateway, a module client). Module routes require it only when SERVICE_SECRET is set; the gateway adds it itself, so its clients never send one.'
  },
  adminToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'ADMIN_TOKEN, for the operator routes under /admin (runtime config, queue dashboard), which this document does not list.'
  }
} as const

// The project declares no licence of its own (package.json is private); say so rather than invent one.
const info = {
  title: 'Cleave',
  version: '0.1.0',
  license: { name: 'UNLICENSED (private project, no licence granted)' },
  contact: { name: 'Cleave maintainers' }
}

/** Every tag an operation uses, once, in first-use order, each with its module's description. */
export function documentTags (registry: ModuleRegistry, paths: Record<string, Record<string, { tags?: string[] }>> = {}) {
  const names = [...new Set(Object.values(paths).flatMap((item) => Object.values(item).flatMap((operation) => operation.tags ?? [])))]
  return names.map((name) => name === platformTag.name ? platformTag : { name, description: registry.contracts.get(name)?.description ?? `The ${name} module` })
}

// Registered before any route so every route schema lands in the document.
async function openapi (app: FastifyInstance, { registry, description, ui = true }: OpenapiOptions) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { ...info, description: description ?? `API of ${serviceName(app.config)}` },
      // Relative: the API is wherever this document was fetched from.
      servers: [{ url: '/', description: 'the process (or gateway) that serves this document' }],
      components: { securitySchemes }
    },
    transformObject: (document) => 'openapiObject' in document
      ? { ...document.openapiObject, tags: documentTags(registry, document.openapiObject.paths as Parameters<typeof documentTags>[1]) }
      : document.swaggerObject,
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}`
    }
  })
  if (ui) await app.register(swaggerUi, { routePrefix: '/docs' })
}

export default fp(openapi, { name: 'openapi', dependencies: ['config'] })
