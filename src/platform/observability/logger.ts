import { createRequire } from 'node:module'
import pino, { type DestinationStream, type Logger } from 'pino'
import type pinoPretty from 'pino-pretty'
import { secretConfigKeys, type Config } from '../config/config.js'
import { serviceTokenHeader } from '../primitives/header-names.js'
import { serviceName } from '../config/service-name.js'
import { serializeError } from './error-serializer.js'

const secretHeaders = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', serviceTokenHeader]

// Where a header or a secret setting could sit in a logged object: the headers of a request,
// response or error, and config keys (alone or in a config object). Named paths, never a leading
// `*.`: a leading wildcard makes pino walk every logged object (bench/README.md has the cost).
const headerHolders = ['headers', 'req.headers', 'res.headers', 'err.headers', 'request.headers', 'response.headers']
export const redactedPaths = [
  ...secretHeaders.flatMap((name) => headerHolders.map((holder) => `${holder}["${name}"]`)),
  ...secretConfigKeys.flatMap((key) => [key, `config.${key}`])
]

// pino-pretty is required only when LOG_FORMAT=pretty (npm run dev on a terminal), so a JSON
// process never loads it; it is a development dependency, and loadConfig refuses pretty without it. It formats in this thread, after redaction, and writes to stdout.
function prettyDestination (): DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof pinoPretty
  return pretty({ destination: 1, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' })
}

// Asynchronous writes keep logging off the request path; pino flushes them on exit.
export function createLogger (config: Config): Logger {
  return pino({
    level: config.LOG_LEVEL,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    base: { service: serviceName(config) },
    serializers: { err: serializeError },
    timestamp: pino.stdTimeFunctions.isoTime
  }, config.LOG_FORMAT === 'pretty' ? prettyDestination() : pino.destination({ dest: 1, sync: false }))
}
