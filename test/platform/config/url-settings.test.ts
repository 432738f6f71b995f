import { availableParallelism } from 'node:os'
import t from 'tap'
import { ConfigError, loadConfig } from '../../../src/platform/config/config.js'
import { tempDir } from '../../helpers/app.js'
import { runToEnd } from '../../helpers/process.js'

// Started servers, one per defect: slower than the default allows on a busy machine.
t.setTimeout(300_000)

const password = 'S3cretPassw0rd'
const available = { names: ['hello', 'users'], external: [] }

// Every way a URL holding a password can be wrong that Node's URL parser (whose TypeError quotes
// the whole URL), ioredis, rabbitmq-client or node-postgres refuses, or that would put the
// password's characters where a host, port or path is shown.
function defects (scheme: string): Array<[string, string]> {
  return [
    ['a port that is not a number', `${scheme}://cleave:${password}@db.internal:notaport/x`],
    ['a port above 65535', `${scheme}://cleave:${password}@db.internal:70000`],
    ['port 0', `${scheme}://cleave:${password}@db.internal:0`],
    ['no host before the port', `${scheme}://cleave:${password}@:1234`],
    ['no host before the path', `${scheme}://cleave:${password}@/x`],
    ['a % without two hex digits in the password', `${scheme}://cleave:${password}%zz@db.internal`],
    ['a percent-encoding in the password that is not UTF-8', `${scheme}://cleave:${password}%ff@db.internal`],
    ['a % without two hex digits in the user name', `${scheme}://clea%ve:${password}@db.internal`],
    ['a / in the password, not encoded', `${scheme}://cleave:${password}/x@db.internal:1234`],
    ['a / in the password after digits, not encoded (parsed as a port and a path)', `${scheme}://cleave:1234/${password}@db.internal`],
    ['a space in the host', `${scheme}://cleave:${password}@db internal:1234`],
    ['a % in the host', `${scheme}://cleave:${password}@db%zz:1234`],
    ['an IPv6 host without its ]', `${scheme}://cleave:${password}@[::1:1234`],
    ['another scheme', `ftp://cleave:${password}@db.internal`],
    ['no scheme (the user name taken for one)', `cleave:${password}@db.internal:1234`]
  ]
}

const schemes: Record<string, string> = {
  REDIS_URL: 'redis',
  AMQP_URL: 'amqp',
  DATABASE_URL: 'postgres',
  USERS_DATABASE_URL: 'postgresql',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'https',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http',
  ADVERTISE_URL: 'http',
  SERVICE_USERS_URL: 'http'
}
const keys = Object.keys(schemes)

// Each defect set on every key at once (SERVICE_USERS_URL's as the second of two URLs).
function allKeys (defect: number): Record<string, string> {
  return Object.fromEntries(keys.map((key) => {
    const url = defects(schemes[key]!)[defect]![1]
    return [key, key === 'SERVICE_USERS_URL' ? `http://127.0.0.1:3001,${url}` : url]
  }))
}

// What only one kind of URL refuses, in sets of distinct keys.
const particular: Array<[string, Record<string, string>]> = [
  ['what only some kinds refuse', {
    REDIS_URL: `redis://cleave:${password}@db.internal:6379/cache`,
    AMQP_URL: `amqp://cleave:${password}@db.internal:5672/%zz`,
    DATABASE_URL: `postgres://cleave:${password}@db.internal/%ff`,
    USERS_DATABASE_URL: `postgres://cleave:${password}@db.internal/app?port=notaport`,
    ADVERTISE_URL: `http://cleave:${password}@db.internal:3000`,
    SERVICE_USERS_URL: `http://cleave:${password}@db.internal:3000`
  }]
]

const cases: Array<[string, Record<string, string>]> = [
  ...defects('scheme').map(([what], defect): [string, Record<string, string>] => [what, allKeys(defect)]),
  ...particular
]

function configError (env: Record<string, string>): string {
  try {
    loadConfig(env, available)
  } catch (error) {
    if (error instanceof ConfigError) return error.message
    throw error
  }
  return ''
}

t.test('each malformed URL setting alone is a ConfigError naming the key, without the password', async (t) => {
  for (const [what, env] of cases) {
    for (const [key, url] of Object.entries(env)) {
      const message = configError({ [key]: url })
      t.match(message, new RegExp(`^Invalid configuration:\\n  - ${key}: [^\\n]*\\(not shown\\)[^\\n]*$`), `${key}, ${what}: refused`)
      t.notOk(message.includes(password), `${key}, ${what}: the password is not in the message`)
    }
  }
})

t.test('the message says what is wrong', async (t) => {
  t.equal(configError({ AMQP_URL: `amqp://guest:${password}@rabbit:notaport` }), 'Invalid configuration:\n  - AMQP_URL: expected an amqp:// or amqps:// URL with a host, got a value of 43 characters that is not a URL (not shown); its port is not a number')
  t.match(configError({ REDIS_URL: `redis://:${password}@cache:70000` }), /REDIS_URL: .*; its port is above 65535$/)
  t.match(configError({ REDIS_URL: `redis://:${password}@cache:0` }), /REDIS_URL: .*got a redis: URL \(not shown\); its port is 0/)
  t.match(configError({ DATABASE_URL: `postgres://app:${password}%zz@db/app` }), /DATABASE_URL: .*got a postgres: URL \(not shown\); a malformed percent-encoding in its user name or password/)
  t.match(configError({ AMQP_URL: `amqp://app:${password}/x@rabbit:5672` }), /its port is not a number \(a \/ \? # @ or % in a user name or password must be percent-encoded\)/)
  t.match(configError({ DATABASE_URL: `mysql://app:${password}@db/app` }), /DATABASE_URL: expected a postgres:\/\/ or postgresql:\/\/ URL with a host, got a mysql: URL \(not shown\)$/)
  t.match(configError({ DATABASE_URL: `${password}://db/app` }), /got a URL of an unknown scheme \(not shown\)$/, 'a scheme Cleave does not know is not named: it could be a password')
  t.match(configError({ REDIS_URL: `http://:${password}@cache:6379` }), /REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL with a host, got a value of \d+ characters \(not shown\)$/, 'the schema\'s pattern does not echo a URL either')
  t.match(configError({ SERVICE_USERS_URL: 'http://127.0.0.1:3001,http://users:3002,http://users:0' }), /SERVICE_USERS_URL: URL 3 of 3: expected .*; its port is 0/)
})

t.test('good URLs of every kind are accepted as given', async (t) => {
  const config = loadConfig({
    REDIS_URL: 'rediss://:p%40ss@redis_primary:6380/2',
    AMQP_URL: 'amqps://cleave:p%2Fss@rabbit.example.com:5671/%2Fevents?heartbeat=10',
    DATABASE_URL: 'postgres://app:p%25ss@[::1]:5432/cleave?sslmode=require&port=5433',
    USERS_DATABASE_URL: 'postgresql://db.internal/users',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:p%40ss@otel.example.com:4318/',
    ADVERTISE_URL: 'http://[::1]:3000',
    SERVICE_USERS_URL: 'http://127.0.0.1:3001/, https://users.svc.cluster.local'
  }, available)
  t.equal(config.REDIS_URL, 'rediss://:p%40ss@redis_primary:6380/2')
  t.same(config.databaseUrls, { hello: 'postgres://app:p%25ss@[::1]:5432/cleave?sslmode=require&port=5433', users: 'postgresql://db.internal/users' })
  t.same(config.services.users, ['http://127.0.0.1:3001', 'https://users.svc.cluster.local'])
  t.doesNotThrow(() => loadConfig({ REDIS_URL: 'redis://localhost:6379', AMQP_URL: 'amqp://localhost', DATABASE_URL: 'postgres://localhost/' }, available))
})

// The real entrypoint, so nothing between loadConfig and the libraries can print the URL first.
// Bounded: a setting let through would start a server that never exits.
function startServer (env: Record<string, string>, dataDir: string) {
  const unset = Object.fromEntries(keys.map((key) => [key, '']))
  return runToEnd('server', { ...unset, DISCOVERY: 'static', DATA_DIR: dataDir, PORT: '0', ...env }, [], { timeoutMs: 30_000 })
}

// One process per defect with every key malformed that way (each must be named), and one per key
// alone with the case, a port that is not a number (Node's URL parser, in the library,
// would throw quoting the whole URL): each key is checked before anything reaches its library.
t.test('the server exits 1 with one line per bad setting, and never prints the password', async (t) => {
  const alone = keys.map((key): [string, Record<string, string>] => [`${key} alone, ${defects('scheme')[0]![0]}`, { [key]: allKeys(0)[key]! }])
  const queue = [...cases, ...alone]
  const runs: Array<{ what: string, env: Record<string, string>, result: Awaited<ReturnType<typeof startServer>> }> = []
  await Promise.all(Array.from({ length: Math.max(2, availableParallelism()) }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [what, env] = next
      runs.push({ what, env, result: await startServer(env, tempDir(t)) })
    }
  }))
  for (const { what, env, result: { code, stdout, stderr } } of runs) {
    t.equal(code, 1, `${what}: exit code 1`)
    t.notOk(`${stdout}\n${stderr}`.includes(password), `${what}: the password is in no output`)
    const [first, ...problems] = stderr.trimEnd().split('\n')
    t.equal(first, 'Invalid configuration:', `${what}: a ConfigError`)
    t.same(problems.map((line) => /^ {2}- ([A-Z_]+): .*\(not shown\)/.exec(line)?.[1]).sort(), Object.keys(env).sort(), `${what}: one line per key, each named, and no stack`)
    t.equal(stdout, '', `${what}: nothing on stdout`)
  }
})

t.test('PostgreSQL on a Unix socket, as node-postgres reads it, is accepted', async (t) => {
  for (const url of ['postgres://app:S3cret@%2Fvar%2Frun%2Fpostgresql/cleave', 'postgres:///cleave?host=/cloudsql/project:region:db&password=S3cret']) {
    t.doesNotThrow(() => loadConfig({ DATABASE_URL: url }, available), url.replace('S3cret', '***'))
  }
  t.throws(() => loadConfig({ DATABASE_URL: 'postgres://app:S3cret@/cleave' }, available), /DATABASE_URL: .*no host/, 'an empty host without ?host= is still refused')
})
