import type { Config } from './config.js'

/** The `service` of every log line, trace and token this process issues. */
export function serviceName (config: Config): string {
  return config.SERVICE_NAME ?? `cleave:${config.modules.join('+') || 'platform'}`
}
