import { Type, type StaticDecode, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { availableModules } from './module-catalog.js'

const LogLevel = Type.Union(
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
  { default: 'info', description: 'pino level; info writes one access-log line per request' }
)

export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'TCP port to listen on (0 picks a free one)' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'interface to listen on' }),
  MODULES: Type.String({
    default: 'all',
    pattern: '^(all|[a-z][a-z0-9-]*(,[a-z][a-z0-9-]*)*)$',
    description: '"all" or a comma list of module names'
  }),
  DATA_DIR: Type.String({ minLength: 1, default: './data', description: 'folder holding one SQLite file per module' }),
  LOG_LEVEL: LogLevel,
  SERVICE_NAME: Type.Optional(Type.String({ minLength: 1, description: 'name in every log line (default: the module list)' })),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 0, default: 10000, description: 'longest wait for in-flight work on SIGTERM' })
})

export type Config = StaticDecode<typeof ConfigSchema> & { modules: string[] }

export class ConfigError extends Error {
  constructor (readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

function expectation (schema: TSchema): string {
  if (schema.anyOf) return `one of ${schema.anyOf.map((option: TSchema) => option.const).join(', ')}`
  if (schema.type === 'integer') return `an integer from ${schema.minimum ?? '-∞'} to ${schema.maximum ?? '∞'}`
  return schema.description ?? `a ${schema.type}`
}

export function resolveModules (list: string, available: string[]): { modules: string[], unknown: string[] } {
  if (list === 'all') return { modules: available, unknown: [] }
  const wanted = [...new Set(list.split(','))]
  return { modules: wanted, unknown: wanted.filter((name) => !available.includes(name)) }
}

// Reads only the keys the schema names, so unrelated environment never fails start-up.
export function loadConfig (env: NodeJS.ProcessEnv = process.env, available = availableModules()): Config {
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
    problems.push(`${key}: expected ${expectation(error.schema)}, got ${JSON.stringify(raw[key])}`)
  }
  const { modules, unknown } = resolveModules(String((candidate as { MODULES: unknown }).MODULES), available)
  if (!seen.has('MODULES') && unknown.length > 0) {
    problems.push(`MODULES: unknown module ${unknown.map((name) => `"${name}"`).join(', ')} (available: ${available.join(', ')})`)
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return { ...Value.Decode(ConfigSchema, candidate), modules }
}
