import { parse } from 'yaml'
import { isCleaveImage, roleOf, type Deployment, type DeployedProcess } from './deployment.js'

interface ComposeService {
  image?: string
  build?: unknown
  profiles?: string[]
  command?: string[] | string
  environment?: Record<string, unknown> | string[]
  networks?: Record<string, { aliases?: string[] } | null> | string[]
}

function environmentOf (environment: ComposeService['environment']): Record<string, string> {
  if (Array.isArray(environment)) return Object.fromEntries(environment.map((entry) => [entry.split('=')[0], entry.split('=').slice(1).join('=')]))
  return Object.fromEntries(Object.entries(environment ?? {}).map(([key, value]) => [key, String(value ?? '')]))
}

function aliasesOf (networks: ComposeService['networks']): string[] {
  if (!networks || Array.isArray(networks)) return []
  return Object.values(networks).flatMap((network) => network?.aliases ?? [])
}

// One deployment per profile: the services of that profile, with those that have none.
export function composeDeployments (file: string, text: string): Deployment[] {
  const services = (parse(text, { merge: true }) as { services: Record<string, ComposeService> }).services
  const profiles = [...new Set(Object.values(services).flatMap((service) => service.profiles ?? []))].sort()
  return (profiles.length > 0 ? profiles : [undefined]).map((profile) => {
    const processes: DeployedProcess[] = []
    for (const [name, service] of Object.entries(services)) {
      if (profile !== undefined && service.profiles !== undefined && !service.profiles.includes(profile)) continue
      if (!isCleaveImage(service.image) && service.build === undefined) continue
      const command = typeof service.command === 'string' ? service.command.split(/\s+/) : service.command ?? []
      const role = roleOf(command)
      if (role === 'one-shot') continue
      processes.push({ name: `service ${name}`, role, env: environmentOf(service.environment), hosts: [name, ...aliasesOf(service.networks)] })
    }
    return { source: profile === undefined ? file : `${file} (profile ${profile})`, processes }
  })
}
