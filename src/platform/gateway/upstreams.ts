import { Agent } from 'undici'
import type { Resolver } from '../discovery/discovery.js'
import type { InstanceHealth } from '../discovery/instance-health.js'
import { NoHealthyUpstream, NoUpstream } from './errors.js'

export interface UpstreamOptions {
  /** Longest wait for a TCP connection to an instance. */
  connectTimeoutMs: number
}

export type Upstreams = ReturnType<typeof createUpstreams>

function rotated (instances: string[], turn: number): string[] {
  const start = turn % instances.length
  return [...instances.slice(start), ...instances.slice(0, start)]
}

// How the gateway reaches module instances: found by discovery on every call (instances
// come and go at run time; caching is the resolver's business), taken in round-robin
// turns, over one keep-alive pool per instance.
export function createUpstreams (resolver: Resolver, health: InstanceHealth, { connectTimeoutMs }: UpstreamOptions) {
  const agent = new Agent({ connect: { timeout: connectTimeoutMs } })
  const turns = new Map<string, number>()

  return {
    agent,

    /**
     * Every instance of the module in rotation (those failing their health checks left out),
     * starting with the one whose turn it is. Ejected instances take no turn and come last, tried
     * only after every admitted one refused; when all are ejected, they take turns among
     * themselves (tried anyway).
     */
    async order (module: string): Promise<string[]> {
      // Sorted, so the turns hold even if the resolver lists instances in a different order each time.
      const instances = health.inRotation([...await resolver.instances(module)].sort())
      if (instances.length === 0) return []
      const turn = turns.get(module) ?? 0
      turns.set(module, turn + 1)
      if (!instances.some((instance) => health.ejected(instance))) return rotated(instances, turn)
      const admitted: string[] = []
      const ejected: string[] = []
      for (const instance of instances) (health.ejected(instance) ? ejected : admitted).push(instance)
      return admitted.length === 0 ? rotated(ejected, turn) : [...rotated(admitted, turn), ...ejected]
    },

    /** Why order() found nothing: no instance known, or every known one fails its health checks. */
    async noneInRotation (module: string): Promise<Error> {
      return (await resolver.instances(module)).length === 0 ? new NoUpstream(module) : new NoHealthyUpstream(module)
    },

    /**
     * The JSON the instance serves at path; undefined when it answered that it has none there (a 4xx,
     * or a body that is not JSON: a service in another language need not serve what Cleave does).
     * Throws when it gave no answer (unreachable, timeout, 5xx): it may have one later.
     */
    async getJson (instance: string, path: string, timeoutMs: number): Promise<unknown> {
      const { statusCode, headers, body } = await agent.request({ origin: instance, path, method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
      const json = /^application\/(.+\+)?json\b/.test(String(headers['content-type'] ?? ''))
      if (statusCode >= 500) {
        await body.dump()
        throw new Error(`GET ${instance}${path} answered ${statusCode}`)
      }
      if (statusCode !== 200 || !json) {
        await body.dump()
        return undefined
      }
      return body.json()
    },

    async close () { await agent.close() }
  }
}
