import { isDeepStrictEqual } from 'node:util'
import type { ModuleDocument, OpenApiDocument } from '../primitives/openapi-document.js'

function renameRefs<T> (value: T, renames: Map<string, string>): T {
  if (renames.size === 0 || typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return value.map((item) => renameRefs(item, renames)) as T
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [
    key,
    key === '$ref' && typeof item === 'string' ? renames.get(item) ?? item : renameRefs(item, renames)
  ])) as T
}

// A component the merged document already has in the same form is shared (Problem); one that
// differs under the same name is kept apart as `<module>.<name>`, and the module's refs follow it.
function mergeComponents (target: Record<string, Record<string, unknown>>, source: OpenApiDocument['components'] = {}, module: string): Map<string, string> {
  const renames = new Map<string, string>()
  for (const [kind, entries] of Object.entries(source)) {
    for (const [name, value] of Object.entries(entries)) {
      const existing = target[kind]?.[name]
      if (existing !== undefined && !isDeepStrictEqual(existing, value)) renames.set(`#/components/${kind}/${name}`, `#/components/${kind}/${module}.${name}`)
    }
  }
  for (const [kind, entries] of Object.entries(source)) {
    target[kind] ??= {}
    for (const [name, value] of Object.entries(entries)) {
      const renamed = renames.get(`#/components/${kind}/${name}`)
      target[kind][renamed ? `${module}.${name}` : name] = renameRefs(value, renames)
    }
  }
  return renames
}

/** One document: the gateway's own routes, plus each module's paths under its prefixes. */
export function mergeDocuments (own: OpenApiDocument, modules: ModuleDocument[]): OpenApiDocument {
  const paths: Record<string, unknown> = { ...own.paths }
  const components = Object.fromEntries(Object.entries(own.components ?? {}).map(([kind, entries]) => [kind, { ...entries }]))
  const tags = [...own.tags ?? []]
  const missing: string[] = []
  for (const { module, prefixes, document } of modules) {
    if (!document) {
      missing.push(module)
      continue
    }
    const renames = mergeComponents(components, document.components, module)
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      if (prefixes.includes(`/${path.split('/')[1]}`)) paths[path] = renameRefs(item, renames)
    }
    for (const tag of document.tags ?? []) if (!tags.some((known) => known.name === tag.name)) tags.push(tag)
  }
  const info = missing.length === 0
    ? own.info
    : { ...own.info, description: `${own.info.description ?? ''}\n\nNot listed, because no instance answered: ${missing.join(', ')}.`.trim() }
  return { ...own, info, paths, components, ...(tags.length > 0 ? { tags } : {}) }
}
