// A deployment as check:deploy sees it: the Cleave processes one Compose profile or one rendered
// Kubernetes overlay would run, each with its environment and the host names that reach it.

export type Role = 'server' | 'worker' | 'gateway'

export interface DeployedProcess {
  /** Where it is declared, for messages: a Compose service or a Kubernetes Deployment. */
  name: string
  role: Role
  /** Its environment; a value set from a secret or interpolated is present, its text unknown. */
  env: Record<string, string>
  /** Host names that reach it: a Compose service and its aliases, the Kubernetes Services selecting it. */
  hosts: string[]
}

export interface Deployment {
  /** The file and, for Compose, the profile: the start of each message. */
  source: string
  processes: DeployedProcess[]
}

// The image's entry points, picked by the command; none given is the server.
export function roleOf (command: readonly string[]): Role | 'one-shot' {
  const line = command.join(' ')
  if (line.includes('gateway.js')) return 'gateway'
  if (line.includes('worker.js')) return 'worker'
  if (/\b(migrate|db-move|verify)\.js/.test(line)) return 'one-shot'
  return 'server'
}

/** A Cleave image, whatever registry or tag an overlay gives it. */
export function isCleaveImage (image: string | undefined): boolean {
  return image !== undefined && /(^|\/)cleave(:|@|$)/.test(image)
}
