import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { serviceName } from '../observability/logger.js'

export interface OpenapiOptions {
  description?: string
  /** Serve Swagger UI at /docs (the gateway serves its own, over the merged document). */
  ui?: boolean
}

// Registered before any route so every route schema lands in the document.
async function openapi (app: FastifyInstance, { description, ui = true }: OpenapiOptions) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Cleave', description: description ?? `API of ${serviceName(app.config)}`, version: '0.1.0' }
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}`
    }
  })
  if (ui) await app.register(swaggerUi, { routePrefix: '/docs' })
}

export default fp(openapi, { name: 'openapi', dependencies: ['config'] })
