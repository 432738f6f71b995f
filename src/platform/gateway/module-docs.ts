import type { FastifyBaseLogger } from 'fastify'
import { publishedContract } from '../contracts/published-contract.js'
import type { ModuleDocument, OpenApiDocument } from '../primitives/openapi-document.js'
import type { Upstreams } from './upstreams.js'

export interface ModuleDocsOptions {
  /** Module → its URL prefixes. */
  modules: Map<string, string[]>
  upstreams: Upstreams
  log: FastifyBaseLogger
  /** How long a fetched document is reused. */
  ttlMs: number
  /** Longest wait for one instance's document. */
  timeoutMs: number
}

interface Entry {
  document?: OpenApiDocument
  expires: number
  pending?: Promise<void>
}

// A failed fetch is tried again soon, not after a full TTL.
const retryAfterFailureMs = 1000

// Each service serves its own document at /docs/json; this keeps a recent copy per module.
// A service that answers without one (an external module, or another implementation of a Cleave
// module, in any language) is shown by its published contract, contracts/<module>.json: what it
// must serve. A module whose instances stop answering keeps its last document (its API has not
// changed because it is down); one never fetched is simply missing.
export function createModuleDocs ({ modules, upstreams, log, ttlMs, timeoutMs }: ModuleDocsOptions) {
  const entries = new Map<string, Entry>([...modules.keys()].map((module) => [module, { expires: 0 }]))

  async function fetchDocument (module: string): Promise<OpenApiDocument> {
    const instances = await upstreams.order(module)
    if (instances.length === 0) throw new Error(`no instance of ${module} is known`)
    let failure: unknown
    for (const instance of instances.slice(0, 2)) {
      try {
        const own = await upstreams.getJson(instance, '/docs/json', timeoutMs) as OpenApiDocument | undefined
        if (own !== undefined) return own
        const published = publishedContract(module)
        if (published !== undefined) return published
        throw new Error(`${instance} serves no /docs/json and contracts/${module}.json is not published`)
      } catch (error) {
        failure = error
      }
    }
    throw failure
  }

  async function update (module: string, entry: Entry): Promise<void> {
    try {
      entry.document = await fetchDocument(module)
      entry.expires = Date.now() + ttlMs
    } catch (error) {
      log.warn({ module, err: error }, 'module API document unavailable')
      entry.expires = Date.now() + Math.min(ttlMs, retryAfterFailureMs)
    } finally {
      entry.pending = undefined
    }
  }

  return {
    /** Brings expired copies up to date; concurrent callers share one fetch per module. */
    async refresh (): Promise<void> {
      const now = Date.now()
      await Promise.all([...entries].map(([module, entry]) => {
        if (entry.expires <= now) entry.pending ??= update(module, entry)
        return entry.pending
      }))
    },

    current (): ModuleDocument[] {
      return [...modules].map(([module, prefixes]) => ({ module, prefixes, document: entries.get(module)?.document }))
    }
  }
}
