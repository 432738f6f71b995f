/** PostgreSQL schema of a module: its name, with `-` (not allowed unquoted) as `_`. */
export function schemaOf (module: string): string {
  return module.replaceAll('-', '_')
}

/** host:port/database and schema: what logs, errors and /health may say (never the user's password). */
export function describePostgres (value: string, schema: string): string {
  const url = new URL(value)
  return `PostgreSQL ${url.hostname}:${url.port || 5432}${url.pathname || '/'} schema ${schema}`
}
