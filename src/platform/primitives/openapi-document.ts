// The OpenAPI shapes the platform passes between concerns: a process's document, and a module's
// as the gateway merges it.
export interface OpenApiDocument {
  openapi: string
  info: { title: string, description?: string, version: string }
  paths?: Record<string, unknown>
  components?: Record<string, Record<string, unknown>>
  tags?: Array<{ name: string }>
  [key: string]: unknown
}

export interface ModuleDocument {
  module: string
  prefixes: string[]
  /** Absent when no instance of the module could give its document. */
  document?: OpenApiDocument
}
