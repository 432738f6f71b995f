import type { Announcer, Resolver } from './discovery.js'

// What Compose and Kubernetes give: fixed URLs (SERVICE_<MODULE>_URL), the platform balancing across them.
export function createStaticResolver (services: Record<string, string[]>): Resolver {
  return {
    async instances (module) { return services[module] ?? [] },
    async close () {}
  }
}

// With static discovery the deployment knows where everything is; there is nothing to announce.
export const silentAnnouncer: Announcer = {
  async announce () {},
  async withdraw () {}
}
