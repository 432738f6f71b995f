import { hostname } from 'node:os'
import type { AddressInfo } from 'node:net'
import type { Config } from '../config/config.js'

// The address other processes use: explicit when set, else where we listen — but a wildcard
// host is not an address anyone can dial, so the machine's name stands in for it.
export function advertisedUrl (config: Config, address: AddressInfo | string | null): string {
  if (config.ADVERTISE_URL) return config.ADVERTISE_URL.replace(/\/+$/, '')
  const port = typeof address === 'object' && address !== null ? address.port : config.PORT
  const host = ['0.0.0.0', '::'].includes(config.HOST) ? hostname() : config.HOST
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}
