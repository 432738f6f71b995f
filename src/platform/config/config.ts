import { createRequire } from 'node:module'
import { Type, type StaticDecode, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { ModuleGraph } from '../primitives/module-graph.js'
import { urlExpectation, urlSettingProblem, type UrlKind } from './url-settings.js'
import { databaseUrlKey, serviceUrlKey } from './module-keys.js'
import { processSettings } from './settings/process.js'
import { storageSettings } from './settings/storage.js'
import { redisSettings } from './settings/redis.js'
import { discoverySettings } from './settings/discovery.js'
import { callsSettings } from './settings/calls.js'
import { eventsSettings } from './settings/events.js'
import { httpSettings } from './settings/http.js'
import { securitySettings } from './settings/security.js'
import { observabilitySettings } from './settings/observability.js'

// `description` and `defaultText` (a default computed at start-up) make docs/reference/settings.md (npm run docs:settings);
// `expected` is what a start-up error asks for where neither the type nor the URL kind says it.
export const ConfigSchema = Type.Object({
  ...processSettings,
  ...storageSettings,
  ...redisSettings,
  ...discoverySettings,
  ...callsSettings,
  ...eventsSettings,
  ...httpSettings,
  ...securitySettings,
  ...observabilitySettings
})

/** The schema's pieces, one per concern, in the order docs/reference/settings.md lists them. */
export const settingGroups = [
  { title: 'Process', settings: processSettings },
  { title: 'Storage', settings: storageSettings },
  { title: 'Redis', settings: redisSettings },
  { title: 'Discovery and health checks', settings: discoverySettings },
  { title: 'Calls and the gateway', settings: callsSettings },
  { title: 'Events', settings: eventsSettings },
  { title: 'HTTP', settings: httpSettings },
  { title: 'Security', settings: securitySettings },
  { title: 'Logs, metrics and traces', settings: observabilitySettings }
]

/** Keys whose values are never echoed in errors nor written to logs (marked `secret: true` in the schema). */
export const secretConfigKeys = Object.entries(ConfigSchema.properties)
  .filter(([, schema]) => (schema as TSchema).secret === true)
  .map(([key]) => key)

// Keys holding a URL (`urlKind` in the schema): checked as the library that takes it would, never echoed.
const urlSettings = Object.entries(ConfigSchema.properties)
  .filter(([, schema]) => (schema as TSchema).urlKind !== undefined)
  .map(([key, schema]) => [key, (schema as TSchema).urlKind as UrlKind] as const)
const urlKeys = new Set(urlSettings.map(([key]) => key))

export type Config = StaticDecode<typeof ConfigSchema> & {
  modules: string[]
  /** SERVICE_<MODULE>_URL, split on commas, for each module that has one. */
  services: Record<string, string[]>
  /** The PostgreSQL URL of each module that has one (<MODULE>_DATABASE_URL, else DATABASE_URL); the others use SQLite. */
  databaseUrls: Record<string, string>
}

export class ConfigError extends Error {
  constructor (readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

function expectation (schema: TSchema): string {
  if (schema.urlKind) return urlExpectation(schema.urlKind)
  if (schema.anyOf) return `one of ${schema.anyOf.map((option: TSchema) => option.const).join(', ')}`
  if (schema.type === 'integer') return `an integer from ${schema.minimum ?? '-∞'} to ${schema.maximum ?? '∞'}`
  if (schema.type === 'boolean') return 'true or false'
  return schema.expected ?? `a ${schema.type}`
}

// Settings named after a module, so not keys of ConfigSchema: their entries in docs/reference/settings.md,
// each placed after the schema key it refines.
export const patternSettings = [
  { name: '<MODULE>_DATABASE_URL', follows: 'DATABASE_URL', description: 'one module\'s PostgreSQL, e.g. `USERS_DATABASE_URL`; wins over `DATABASE_URL`' },
  { name: 'SERVICE_<MODULE>_URL', follows: 'DISCOVERY', description: 'static discovery: URL(s) of the module\'s instances, comma-separated for several (round-robin), e.g. `SERVICE_USERS_URL=http://127.0.0.1:3001`' }
] as const

function readServices (env: NodeJS.ProcessEnv, available: string[], problems: string[]): Record<string, string[]> {
  const services: Record<string, string[]> = {}
  for (const module of available) {
    const key = serviceUrlKey(module)
    if (!env[key]) continue
    const urls = env[key].split(',').map((url) => url.trim()).filter(Boolean)
    const problem = urlSettingProblem(key, urls, 'http')
    if (problem) problems.push(problem)
    else services[module] = urls.map((url) => url.replace(/\/+$/, ''))
  }
  return services
}

// DATABASE_URL itself is checked with the other URL settings of the schema.
function readDatabaseUrls (env: NodeJS.ProcessEnv, available: string[], problems: string[]): Record<string, string> {
  const urls: Record<string, string> = {}
  for (const module of available) {
    const key = databaseUrlKey(module)
    const problem = env[key] ? urlSettingProblem(key, [env[key]], 'postgres') : undefined
    if (problem) problems.push(problem)
    const url = env[key] || env.DATABASE_URL || undefined
    if (url !== undefined) urls[module] = url
  }
  return urls
}

export function resolveModules (list: string, available: string[]): { modules: string[], unknown: string[] } {
  if (list === 'all') return { modules: available, unknown: [] }
  const wanted = [...new Set(list.split(','))]
  return { modules: wanted, unknown: wanted.filter((name) => !available.includes(name)) }
}

// Reads only the keys the schema names, so unrelated environment never fails start-up.
// Production installs stay lean: pino-pretty and its dependencies are for a person at a terminal.
function prettyInstalled (): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty')
    return true
  } catch {
    return false
  }
}

/** The modules there are, as the module registry found them: what MODULES may name. */
export type ModuleNames = Pick<ModuleGraph, 'names' | 'external'>

export function loadConfig (env: NodeJS.ProcessEnv, { names: available, external }: ModuleNames): Config {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(ConfigSchema.properties)) {
    if (env[key] !== undefined && env[key] !== '') raw[key] = env[key]
  }
  const candidate = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, raw))
  const problems: string[] = []
  const seen = new Set<string>()
  for (const error of Value.Errors(ConfigSchema, candidate)) {
    const key = error.path.slice(1)
    if (seen.has(key)) continue
    seen.add(key)
    const given = secretConfigKeys.includes(key) || urlKeys.has(key) ? `a value of ${String(raw[key]).length} characters (not shown)` : JSON.stringify(raw[key])
    problems.push(`${key}: expected ${expectation(error.schema)}, got ${given}`)
  }
  for (const [key, kind] of urlSettings) {
    const problem = raw[key] === undefined || seen.has(key) ? undefined : urlSettingProblem(key, [String(raw[key])], kind)
    if (problem) problems.push(problem)
  }
  const { modules, unknown } = resolveModules(String((candidate as { MODULES: unknown }).MODULES), available)
  const externalNamed = unknown.filter((name) => external.includes(name))
  if (!seen.has('MODULES') && externalNamed.length > 0) {
    problems.push(`MODULES: ${externalNamed.map((name) => `"${name}"`).join(', ')} ${externalNamed.length === 1 ? 'is' : 'are'} external (implemented outside Cleave, reached through discovery), not mounted here`)
  } else if (!seen.has('MODULES') && unknown.length > 0) {
    problems.push(`MODULES: unknown module ${unknown.map((name) => `"${name}"`).join(', ')} (available: ${available.join(', ')})`)
  }
  const services = readServices(env, [...available, ...external], problems)
  const databaseUrls = readDatabaseUrls(env, available, problems)
  if ((candidate as { LOG_FORMAT?: unknown }).LOG_FORMAT === 'pretty' && !prettyInstalled()) {
    problems.push('LOG_FORMAT: pretty needs pino-pretty, a development dependency this install leaves out (npm ci --omit=dev, as in the image); use json')
  }
  if ((candidate as { DISCOVERY?: unknown }).DISCOVERY === 'redis' && !raw.REDIS_URL) {
    problems.push('REDIS_URL: expected a redis:// URL, required when DISCOVERY=redis')
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return { ...Value.Decode(ConfigSchema, candidate), modules, services, databaseUrls }
}
