import { Type } from '@sinclair/typebox'

export const LogLevel = Type.Union(
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
  { default: 'info', description: 'pino level: `fatal`, `error`, `warn`, `info` (one access-log line per request; `GET /health/live`, asked every second by health checks and probes, at `debug`), `debug`, `trace` or `silent`' }
)
