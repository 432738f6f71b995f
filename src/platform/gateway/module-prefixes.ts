import type { Contract } from '../contracts/define-contract.js'

// Paths the gateway answers itself, so no module may route under them.
const reserved = new Set(['/health', '/docs'])

/** Which module serves each URL prefix: the first path segment of its routes (users → /users). */
export function modulePrefixes (contracts: Iterable<Contract>): Map<string, string> {
  const owners = new Map<string, string>()
  for (const contract of contracts) {
    const { module } = contract
    for (const route of Object.values(contract.routes)) {
      const segment = route.url.split('/')[1]
      if (!segment || /[:*]/.test(segment)) throw new Error(`${module}: ${route.method} ${route.url} has no fixed first path segment to route by`)
      const prefix = `/${segment}`
      if (reserved.has(prefix)) throw new Error(`${module}: ${route.method} ${route.url} is under ${prefix}, which the gateway serves itself`)
      const owner = owners.get(prefix)
      if (owner !== undefined && owner !== module) throw new Error(`${prefix} is claimed by both ${owner} and ${module}`)
      owners.set(prefix, module)
    }
  }
  return owners
}

/** The same map turned around: each module with its prefixes. */
export function prefixesByModule (owners: Map<string, string>): Map<string, string[]> {
  const byModule = new Map<string, string[]>()
  for (const [prefix, module] of owners) byModule.set(module, [...byModule.get(module) ?? [], prefix])
  return byModule
}
