import { createRequire } from 'node:module'
import { Type, type StaticDecode, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { urlExpectation, urlSettingProblem, type UrlKind } from './url-settings.js'

// Node fires a timer set past 2^31 − 1 ms after 1 ms instead: every call would time out at once.
export const maxTimerMs = 2_147_483_647
// A breaker that needs more calls than a process makes in a window never opens: the same as off, but hidden.
export const maxCalls = 100_000
// Past this many calls in flight to one target a process runs out of sockets long before the bulkhead says no.
export const maxConcurrency = 10_000

// More requests than one client can send in a window is no limit: say 0 for that.
export const maxRequests = 1_000_000

export const LogLevel = Type.Union(
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
  { default: 'info', description: 'pino level: `fatal`, `error`, `warn`, `info` (one access-log line per request; `GET /health/live`, asked every second by health checks and probes, at `debug`), `debug`, `trace` or `silent`' }
)

// `description` and `defaultText` (a default computed at start-up) make docs/reference/settings.md (npm run docs:settings);
// `expected` is what a start-up error asks for where neither the type nor the URL kind says it.
export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'TCP port to listen on (0 picks a free one)' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'interface to listen on (`0.0.0.0` in a container)' }),
  MODULES: Type.String({
    default: 'all',
    pattern: '^(all|[a-z][a-z0-9-]*(,[a-z][a-z0-9-]*)*)$',
    expected: '"all" or a comma list of module names',
    description: '`all` or a comma list of the modules to mount, e.g. `users,hello`; an unknown name is an error'
  }),
  DATA_DIR: Type.String({ minLength: 1, default: './data', description: 'folder holding one SQLite file per module (`users.sqlite`, …), for the modules without a PostgreSQL URL' }),
  DATABASE_URL: Type.Optional(Type.String({ secret: true, urlKind: 'postgres', description: 'a `postgres://…` or `postgresql://…` URL: every module keeps its tables in that PostgreSQL, each in a schema named after it (docs/guides/storage.md); `<MODULE>_DATABASE_URL` sets one module\'s and wins; unset, a module uses its SQLite file in `DATA_DIR`' })),
  DATABASE_POOL_MAX: Type.Integer({ minimum: 1, default: 10, description: 'PostgreSQL connections one process opens per module at most: keep replicas × modules × this below the server\'s `max_connections`' }),
  DATABASE_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 0, maximum: maxTimerMs, default: 30000, description: 'how long start-up keeps trying to reach PostgreSQL (with backoff) before exiting 1' }),
  LOG_LEVEL: LogLevel,
  LOG_FORMAT: Type.Union([Type.Literal('json'), Type.Literal('pretty')], { default: 'json', description: '`json`: one JSON object a line (production); `pretty`: readable coloured lines for a person, via pino-pretty, loaded only then (`npm run dev` picks it on a terminal). pino-pretty is a development dependency: where it is not installed (the image, any `npm ci --omit=dev`) `pretty` is refused at start-up, so production stays lean and its logs stay machine-readable' }),
  SERVICE_NAME: Type.Optional(Type.String({ minLength: 1, defaultText: '`cleave:<modules joined by +>` (gateway: `cleave:gateway`; worker: that name and `:worker`)', description: 'the `service` field of every log line' })),
  DRAIN_DELAY_MS: Type.Integer({ minimum: 0, maximum: maxTimerMs, default: 5000, description: 'on SIGTERM, how long the process keeps serving while not ready and withdrawn from discovery, so load balancers and other processes stop sending to it before it stops accepting (docs/guides/operating.md)' }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 0, maximum: maxTimerMs, default: 10000, description: 'after the drain delay, longest wait for in-flight requests and running jobs before exiting anyway' }),
  DISCOVERY: Type.Union([Type.Literal('static'), Type.Literal('redis')], { default: 'static', description: 'how a process finds the modules it does not mount: `static`, from `SERVICE_<MODULE>_URL`, or `redis`, from the instances registered in Redis' }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://', secret: true, urlKind: 'redis', description: 'a `redis://…` (or `rediss://…`) URL; required when `DISCOVERY=redis`' })),
  REDIS_PREFIX: Type.String({ default: 'cleave:', description: 'prefix of every Redis key Cleave writes' }),
  AMQP_URL: Type.Optional(Type.String({ pattern: '^amqps?://', secret: true, urlKind: 'amqp', description: 'an `amqp://user:password@host:5672` (or `amqps://`) URL of RabbitMQ: every relayed event is also published there as a CloudEvent, and the events of external modules are received from it (docs/guides/other-languages.md)' })),
  AMQP_EXCHANGE: Type.String({
    minLength: 1,
    maxLength: 200,
    pattern: '^[A-Za-z0-9._-]+$',
    default: 'cleave.events',
    expected: 'a name of letters, digits, . _ - (at most 200)',
    description: 'the durable topic exchange CloudEvents go to and come from (letters, digits, `.` `_` `-`); its queues are named `<exchange>.<module>` and `<exchange>.dead-letter`'
  }),
  ADVERTISE_URL: Type.Optional(Type.String({ pattern: '^https?://', urlKind: 'http', defaultText: '`http://HOST:PORT`', description: 'the URL other processes reach this one at (Redis discovery); unset, `HOST` (the machine\'s name for a wildcard such as `0.0.0.0`) and the port it listens on' })),
  DISCOVERY_TTL_MS: Type.Integer({ minimum: 500, maximum: maxTimerMs, default: 5000, description: 'a registered instance not heard from for this long is dropped' }),
  CALL_TIMEOUT_MS: Type.Integer({ minimum: 1, maximum: maxTimerMs, default: 1000, description: 'longest wait for a call to another module\'s service, retries included' }),
  CALL_RETRIES: Type.Integer({ minimum: 0, maximum: 5, default: 2, description: 'extra attempts for idempotent calls (GET, PUT, DELETE), each on the next instance: after a broken connection at once, after a 502/503/504 answer with jittered backoff. An instance that refuses the connection costs no attempt: any call, POST included, goes on to the next at once (nothing was sent); a call stops as soon as every instance has refused it' }),
  CALL_BACKOFF_MS: Type.Integer({ minimum: 1, maximum: maxTimerMs, default: 20, description: 'longest wait before the first retry after a 502/503/504 answer (full jitter); doubles each attempt, up to ten times this' }),
  CALL_CONCURRENCY: Type.Integer({ minimum: 1, maximum: maxConcurrency, default: 100, description: 'calls to one target module a process has in flight at once (a bulkhead); over it, a call fails at once like an open breaker — its fallback answers, or 503 `CLV_DEPENDENCY_UNAVAILABLE` "too many calls in flight (N)" — counted as `cleave_breaker_events_total{event="bulkhead"}` and never against the target\'s breaker; changeable at run time per target (`concurrency`)' }),
  BREAKER_ERROR_THRESHOLD: Type.Integer({ minimum: 1, maximum: 100, default: 50, description: 'percentage of failed calls in the window that opens a target\'s circuit breaker' }),
  BREAKER_VOLUME_THRESHOLD: Type.Integer({ minimum: 1, maximum: maxCalls, default: 5, description: 'calls in the window before the percentage rule may open a breaker' }),
  BREAKER_RESET_MS: Type.Integer({ minimum: 1, maximum: maxTimerMs, default: 5000, description: 'how long an open breaker waits before letting a trial call through' }),
  BREAKER_WINDOW_MS: Type.Integer({ minimum: 100, maximum: maxTimerMs, default: 1000, description: 'length of the rolling window the error percentage and volume are counted over (10 slices); short, so the successes from before an outage stop outvoting its failures within about a second' }),
  BREAKER_CONSECUTIVE_FAILURES: Type.Integer({ minimum: 0, maximum: maxCalls, default: 5, description: 'failed calls in a row of any kind (timeout, reset, refused, any 5xx answer) that open a breaker at once, whatever the window holds, so a hung target opens it even at one call at a time; `0`: off. The gateway\'s breakers count only requests a module never answered (refused, reset, timed out)' }),
  HEALTH_CHECK_INTERVAL_MS: Type.Integer({ minimum: 0, maximum: maxTimerMs, default: 1000, description: 'how often a process that reaches other modules over HTTP (the gateway for the modules it routes, a module process for those it does not serve) sends `GET /health/live` to each of their instances; `0`: no health checks (docs/guides/splitting.md)' }),
  HEALTH_CHECK_TIMEOUT_MS: Type.Integer({ minimum: 1, maximum: maxTimerMs, default: 500, description: 'longest wait for a health check\'s answer; none in time, or a 5xx, fails the check' }),
  HEALTH_CHECK_FAILURES: Type.Integer({ minimum: 1, default: 2, description: 'failed health checks in a row that take an instance out of rotation until it passes one; a lone static `SERVICE_<MODULE>_URL`, which may name several replicas (a Kubernetes Service in front of several pods, say), needs three times as many' }),
  GATEWAY_TIMEOUT_MS: Type.Integer({ minimum: 1, maximum: maxTimerMs, default: 5000, description: 'gateway: longest wait for a module instance\'s response headers (past it, 504 problem+json) and between two chunks of its body (past it, the connection is cut)' }),
  TRUST_PROXY: Type.Boolean({ default: false, description: '`true` only behind a proxy of your own that sets `X-Forwarded-For`: the client\'s address (rate limits, the admin failure budget, logs) is read from it, and the gateway keeps the forwarding headers it gets (`X-Forwarded-*`, `Forwarded`, `X-Real-IP`), adding its own hop. `false`: the address is the connection\'s, a client\'s forwarding headers are dropped and the gateway sets `X-Forwarded-For`, `-Host` and `-Proto` itself' }),
  WORKERS: Type.Boolean({ default: true, description: 'run the event handlers of `MODULES` in this process' }),
  JOB_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 50, default: 5, description: 'tries of an event handler before its job is failed' }),
  JOB_BACKOFF_MS: Type.Integer({ minimum: 1, maximum: maxTimerMs, default: 500, description: 'first retry delay of an event handler\'s job; doubles each attempt' }),
  WORKER_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'jobs a worker runs at once per queue' }),
  JOB_LOCK_MS: Type.Integer({ minimum: 1000, maximum: maxTimerMs, default: 30000, description: 'how long a worker holds a job without renewing its lock (renewed every half); a job whose worker died is retried once it lapses' }),
  JOB_STALLED_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: maxTimerMs, default: 30000, description: 'how often workers look for jobs whose lock lapsed (their worker died) and queue them again' }),
  RELAY_INTERVAL_MS: Type.Integer({ minimum: 10, maximum: maxTimerMs, default: 1000, description: 'how often the outbox is checked for rows that could not be sent at once' }),
  RELAY_CLAIM_MS: Type.Integer({ minimum: 100, maximum: maxTimerMs, default: 10000, description: 'how long the process that wrote an outbox row (or claimed it) owns its delivery; a row whose owner died is claimed by another replica\'s relay once this lapses' }),
  OUTBOX_RETENTION_MS: Type.Integer({ minimum: 1000, default: 604_800_000, description: 'how long sent outbox rows are kept (default 7 days): events sent to a Redis that restarts empty within this window are delivered again; older sent rows are deleted' }),
  ADMIN_TOKEN: Type.Optional(Type.String({
    minLength: 16,
    secret: true,
    expected: 'a secret of at least 16 characters',
    description: 'a secret of at least 16 characters that `/admin/*` requires, as a bearer token or an HTTP Basic password; unset, the admin routes do not exist'
  })),
  RATE_LIMIT_MAX: Type.Integer({ minimum: 0, maximum: maxRequests, default: 0, description: 'requests one client IP may make per window (`0`: no limit); changeable at run time' }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1, maximum: maxTimerMs, default: 60000, description: 'length of a rate-limit window; changeable at run time' }),
  CORS_ORIGINS: Type.Optional(Type.String({
    pattern: '^(\\*|https?://[^,\\s]+(,https?://[^,\\s]+)*)$',
    expected: 'browser origins allowed to call the API: "*" or a comma list of http(s) origins',
    description: 'browser origins allowed to call the API: `*` or a comma list of http(s) origins; unset, no CORS headers are sent. In a split, set it on the gateway'
  })),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1, default: 1_048_576, description: 'largest request body in bytes; a bigger one is refused with 413 problem+json naming the limit' }),
  REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: maxTimerMs, default: 30000, description: 'longest time a client may take to send a whole request, headers and body, however steadily it trickles; past it the answer is 408 problem+json (`CLV_REQUEST_TIMEOUT`) and the connection is closed. Raise it for slow uploads' }),
  MAX_CONNECTIONS: Type.Optional(Type.Integer({ minimum: 1, defaultText: 'half the open-file limit', description: 'most client connections open at once; further ones are dropped on arrival and a warning is logged (at most one per 5 s, with the count). Unset, it is half the process\'s open-file limit (Linux `/proc/self/limits`; 1000 where that cannot be read), leaving the other half for databases, Redis, logs and the calls requests make' })),
  SERVICE_SECRET: Type.Optional(Type.String({
    pattern: '^[^,]{32,}(,[^,]{32,})*$',
    secret: true,
    expected: 'shared secret(s) of at least 32 characters, comma-separated to rotate',
    description: 'shared secret(s) of at least 32 characters that sign calls between Cleave processes, comma-separated to rotate (sign with the first, accept any); when set, module routes accept only signed calls, carrying a service token (docs/guides/security.md). `npm run split` makes one up if unset; `deploy/compose.yaml` has no default and stops until it is set'
  })),
  SIGNED_CALL_LIFETIME_MS: Type.Integer({ minimum: 100, maximum: 300_000, default: 5000, description: 'how long a service token (`SERVICE_SECRET`) is good for after it is signed: the identical request can be replayed within it, nothing else' }),
  SIGNED_CALL_SKEW_MS: Type.Integer({ minimum: 0, maximum: 300_000, default: 5000, description: 'how far the clocks of two hosts may disagree, either way, for a service token to be accepted' }),
  TRACING: Type.Boolean({ default: true, description: 'read W3C `traceparent`, pass it on every call and event, and write its `trace_id`/`span_id` in every log line; `false`: none of it (the gateway relays trace headers unchanged)' }),
  METRICS: Type.Boolean({ default: true, description: 'serve `GET /metrics` and time every HTTP request for it; `false`: no route, no per-request hooks' }),
  // OpenTelemetry's own variables (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/):
  // these decide whether and where spans are exported; the exporter reads OTEL_EXPORTER_OTLP_HEADERS,
  // _TIMEOUT and _COMPRESSION itself.
  OTEL_SDK_DISABLED: Type.Boolean({ default: false, description: '`true`: no OpenTelemetry export, whatever the other `OTEL_*` variables say' }),
  OTEL_TRACES_EXPORTER: Type.Optional(Type.Union([Type.Literal('otlp'), Type.Literal('none')], { description: '`otlp`: export spans over OTLP/HTTP (to `http://localhost:4318` unless an endpoint is set); `none`, or unset without an endpoint: no export' })),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://', secret: true, urlKind: 'otlp', description: 'OTLP/HTTP collector base URL (spans go to `<url>/v1/traces`); setting it turns span export on (docs/guides/operating.md)' })),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://', secret: true, urlKind: 'otlp', description: 'full OTLP/HTTP URL for spans, used as given; setting it turns span export on' })),
  OTEL_SERVICE_NAME: Type.Optional(Type.String({ minLength: 1, defaultText: '`SERVICE_NAME`, or its default', description: 'the `service.name` of exported spans' })),
  OTEL_BSP_SCHEDULE_DELAY: Type.Integer({ minimum: 1, maximum: maxTimerMs, default: 5000, description: 'milliseconds between two batches of exported spans' })
})

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

export function serviceUrlKey (module: string): string {
  return `SERVICE_${module.toUpperCase().replaceAll('-', '_')}_URL`
}

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

export function databaseUrlKey (module: string): string {
  return `${module.toUpperCase().replaceAll('-', '_')}_DATABASE_URL`
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
export interface ModuleNames {
  /** Modules with an index file: what a process can mount. */
  names: string[]
  /** Modules implemented elsewhere, reached through discovery. */
  external: string[]
}

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
