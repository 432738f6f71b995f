import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { paths } from '../primitives/paths.js'
import type { OpenApiDocument } from '../primitives/openapi-document.js'

/** contracts/<module>.json as npm run contracts:update wrote it; undefined where none is published. */
export function publishedContract (module: string, dir = paths.contracts): OpenApiDocument | undefined {
  const file = join(dir, `${module}.json`)
  if (!existsSync(file)) return undefined
  // Published without info (it names a process, not the API): the merge reads only paths, components and tags.
  return { info: { title: module, version: '0' }, ...JSON.parse(readFileSync(file, 'utf8')) } as OpenApiDocument
}
