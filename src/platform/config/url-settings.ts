// A URL setting may hold a password (in its user info, or in a query parameter for PostgreSQL).
// Everything the client libraries would refuse, or turn into an error quoting the URL (Node's URL
// parser puts the whole input in its TypeError), is refused here instead, and described by the
// part that is wrong: no fragment of the value is ever shown, since a misparsed URL can put a
// password's characters where a port or a path would stand.

export type UrlKind = 'redis' | 'amqp' | 'postgres' | 'otlp' | 'http'

interface KindRules {
  protocols: string[]
  expected: string
  /** The user info would be shown wherever the URL is (logs, /health, discovery), so it is refused. */
  noCredentials?: boolean
  path?: (url: URL) => string | undefined
}

const malformedPath = (url: URL): string | undefined => decodes(url.pathname) ? undefined : 'a malformed percent-encoding in its path'

const rules: Record<UrlKind, KindRules> = {
  // ioredis takes the path as the database number.
  redis: { protocols: ['redis:', 'rediss:'], expected: 'a redis:// or rediss:// URL with a host', path: (url) => /^\/?\d*$/.test(url.pathname) ? undefined : 'its path is not a database number (such as /0)' },
  // rabbitmq-client decodes the path as the vhost, and throws on a malformed one.
  amqp: { protocols: ['amqp:', 'amqps:'], expected: 'an amqp:// or amqps:// URL with a host', path: malformedPath },
  // node-postgres decodes the path as the database, and lets a port parameter win over the URL's.
  postgres: {
    protocols: ['postgres:', 'postgresql:'],
    expected: 'a postgres:// or postgresql:// URL with a host',
    path: (url) => malformedPath(url) ?? (url.searchParams.has('port') && !validPort(url.searchParams.get('port')!) ? 'its port parameter is not a number from 1 to 65535' : undefined)
  },
  otlp: { protocols: ['http:', 'https:'], expected: 'an http:// or https:// URL with a host' },
  http: { protocols: ['http:', 'https:'], expected: 'an http:// or https:// URL with a host and no user name or password', noCredentials: true }
}

// Schemes safe to name in an error; any other could be a password typed where a URL belongs.
const knownProtocols = new Set(['http:', 'https:', 'redis:', 'rediss:', 'amqp:', 'amqps:', 'postgres:', 'postgresql:', 'mysql:', 'mariadb:', 'mongodb:', 'sqlite:', 'file:', 'ftp:', 'ws:', 'wss:', 'tcp:', 'unix:'])

const percentHint = 'a / ? # @ or % in a user name or password must be percent-encoded'

/** Whether decodeURIComponent takes the text (it throws a URIError on a malformed escape). */
export function decodes (text: string): boolean {
  try {
    decodeURIComponent(text)
    return true
  } catch {
    return false
  }
}

// node-postgres connects to a Unix socket for a host that is a directory: percent-encoded in the
// URL (postgres://u@%2Fvar%2Frun%2Fpostgresql/db), or an empty one with ?host=/cloudsql/….
function unixSocket (url: URL): boolean {
  if (url.hostname === '') return url.searchParams.get('host')?.startsWith('/') === true
  return decodes(url.hostname) && decodeURIComponent(url.hostname).startsWith('/')
}

function validPort (port: string): boolean {
  return /^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535
}

interface Problem {
  /** What the value is, in words that hold none of it. */
  got: string
  /** What part is wrong. */
  detail?: string
}

// Why Node's URL parser refused the value, found by splitting it the way the parser does.
function unparsable (value: string): Problem {
  const got = `a value of ${value.length} characters that is not a URL`
  const parts = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)(.*)$/s.exec(value)
  if (!parts) return { got, detail: 'it does not begin with a scheme and ://' }
  const [, authority = '', rest = ''] = parts
  const at = authority.lastIndexOf('@')
  const hostPort = authority.slice(at + 1)
  // No user info where the parser looked, yet an @ further on: a password cut short by a / ? or #.
  const hint = at === -1 && rest.includes('@') ? ` (${percentHint})` : ''
  if (hostPort.startsWith('[') && !hostPort.includes(']')) return { got, detail: `its IPv6 host has no closing ]${hint}` }
  const [, host = '', port] = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/s.exec(hostPort) ?? []
  if (port !== undefined && !/^\d*$/.test(port)) return { got, detail: `its port is not a number${hint}` }
  if (port !== undefined && Number(port) > 65535) return { got, detail: `its port is above 65535${hint}` }
  if (host === '') return { got, detail: `it has no host${hint}` }
  return { got, detail: `its host is not a valid host name${hint}` }
}

function problemOf (value: string, kind: UrlKind): Problem | undefined {
  if (!URL.canParse(value)) return unparsable(value)
  const url = new URL(value)
  const rule = rules[kind]
  const scheme = knownProtocols.has(url.protocol) ? `${/^([aeiou]|http)/.test(url.protocol) ? 'an' : 'a'} ${url.protocol} URL` : 'a URL of an unknown scheme'
  if (!rule.protocols.includes(url.protocol)) return { got: scheme }
  const socket = kind === 'postgres' && unixSocket(url)
  if (url.hostname === '' && !socket) return { got: `${scheme} with no host` }
  if (!socket && !/^([A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])$/.test(url.hostname)) return { got: scheme, detail: 'its host is not a valid host name' }
  if (url.port === '0') return { got: scheme, detail: 'its port is 0, not from 1 to 65535' }
  if (rule.noCredentials && (url.username !== '' || url.password !== '')) return { got: scheme, detail: 'it holds a user name or password, which would be shown wherever the URL is (logs, /health, discovery)' }
  if (!decodes(url.username) || !decodes(url.password)) return { got: scheme, detail: 'a malformed percent-encoding in its user name or password (write a % as %25)' }
  if (url.pathname.includes('@')) return { got: scheme, detail: `an @ in its path (${percentHint})` }
  const detail = rule.path?.(url)
  return detail ? { got: scheme, detail } : undefined
}

export function urlExpectation (kind: UrlKind): string {
  return rules[kind].expected
}

/**
 * The problem line for a URL setting, naming the key (and which URL of a comma-separated list)
 * and never showing the value; undefined when every URL is good.
 */
export function urlSettingProblem (key: string, urls: string[], kind: UrlKind): string | undefined {
  for (const [index, url] of urls.entries()) {
    const problem = problemOf(url, kind)
    if (!problem) continue
    const which = urls.length > 1 ? ` URL ${index + 1} of ${urls.length}:` : ''
    return `${key}:${which} expected ${rules[kind].expected}, got ${problem.got} (not shown)${problem.detail ? `; ${problem.detail}` : ''}`
  }
  return undefined
}
