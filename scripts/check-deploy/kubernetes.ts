import { parseAllDocuments } from 'yaml'
import { isCleaveImage, roleOf, type Deployment, type DeployedProcess } from './deployment.js'

interface Container {
  image?: string
  command?: string[]
  args?: string[]
  env?: Array<{ name: string, value?: string, valueFrom?: unknown }>
  envFrom?: Array<{ configMapRef?: { name: string }, secretRef?: { name: string } }>
}

interface Resource {
  kind: string
  metadata: { name: string }
  data?: Record<string, string>
  stringData?: Record<string, string>
  spec?: {
    selector?: Record<string, string> & { matchLabels?: Record<string, string> }
    template?: { metadata?: { labels?: Record<string, string> }, spec?: { containers?: Container[] } }
  }
}

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value)

// The Deployments of what `kubectl kustomize` rendered, their environment resolved through the
// ConfigMaps and Secrets they name, each reached by the Services that select its pods.
export function kubernetesDeployment (source: string, rendered: string): Deployment {
  const resources = parseAllDocuments(rendered).map((document) => document.toJS() as Resource).filter(Boolean)
  const named = (kind: string, name: string) => resources.find((resource) => resource.kind === kind && resource.metadata.name === name)
  const services = resources.filter((resource) => resource.kind === 'Service')
  const processes: DeployedProcess[] = []
  for (const deployment of resources.filter((resource) => resource.kind === 'Deployment')) {
    const labels = deployment.spec?.template?.metadata?.labels ?? {}
    for (const container of deployment.spec?.template?.spec?.containers ?? []) {
      if (!isCleaveImage(container.image)) continue
      const role = roleOf([...container.command ?? [], ...container.args ?? []])
      if (role === 'one-shot') continue
      const env: Record<string, string> = {}
      for (const from of container.envFrom ?? []) {
        const source = from.configMapRef ? named('ConfigMap', from.configMapRef.name) : from.secretRef ? named('Secret', from.secretRef.name) : undefined
        Object.assign(env, source?.data, source?.stringData)
      }
      for (const { name, value } of container.env ?? []) env[name] = value ?? ''
      const hosts = services.filter((service) => matches(service.spec?.selector ?? {}, labels)).map((service) => service.metadata.name)
      processes.push({ name: `Deployment ${deployment.metadata.name}`, role, env, hosts })
    }
  }
  return { source, processes }
}
