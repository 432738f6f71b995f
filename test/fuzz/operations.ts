// The operations a served OpenAPI document lists, in the shape the fuzzer needs.
export interface Parameter { in: string, name: string, required?: boolean, schema: Schema }
export type Schema = Record<string, any>

export interface Operation {
  method: string
  /** OpenAPI template, e.g. /users/{id} */
  template: string
  parameters: Parameter[]
  body?: Schema
}

const methods = ['get', 'post', 'put', 'patch', 'delete']
// Platform routes (health probes, docs) and admin routes are not what a client is given.
const excluded = /^\/(health|docs|admin|metrics)(\/|$)/

export function operationsOf (document: { paths?: Record<string, Record<string, Schema>> }): Operation[] {
  const operations: Operation[] = []
  for (const [template, item] of Object.entries(document.paths ?? {})) {
    if (excluded.test(template)) continue
    for (const method of methods.filter((name) => item[name])) {
      const operation = item[method]
      operations.push({
        method: method.toUpperCase(),
        template,
        parameters: operation.parameters ?? [],
        body: operation.requestBody?.content?.['application/json']?.schema
      })
    }
  }
  return operations
}
