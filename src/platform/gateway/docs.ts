import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { edgeDocument } from './edge-document.js'
import { mergeDocuments } from './merge-documents.js'
import type { OpenApiDocument } from '../primitives/openapi-document.js'
import { createModuleDocs, type ModuleDocsOptions } from './module-docs.js'

export type DocsOptions = Omit<ModuleDocsOptions, 'log'>

// /docs/json is the gateway's own document merged with the services' documents, each operation
// as the gateway serves it (edge-document.ts); Swagger UI at /docs shows it. The UI's hooks may
// wait, its transform may not, so the hook refreshes the copies.
export default async function docs (app: FastifyInstance, options: DocsOptions) {
  const moduleDocs = createModuleDocs({ ...options, log: app.log })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiHooks: { preHandler: async () => { await moduleDocs.refresh() } },
    transformSpecification: (own) => mergeDocuments(own as OpenApiDocument, moduleDocs.current().map((module) => ({
      ...module,
      document: module.document && edgeDocument(module.document)
    })))
  })
}
