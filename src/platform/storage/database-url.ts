/** PostgreSQL schema of a module: its name, with `-` (not allowed unquoted) as `_`. */
export function schemaOf (module: string): string {
  return module.replaceAll('-', '_')
}

export function isPostgresUrl (value: string): boolean {
  if (!URL.canParse(value)) return false
  const url = new URL(value)
  // An empty host with ?host=/path is node-postgres's Unix socket.
  return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && (url.hostname !== '' || url.searchParams.get('host')?.startsWith('/') === true)
}

/** host:port/database and schema: what logs, errors and /health may say (never the user's password). */
export function describePostgres (value: string, schema: string): string {
  const url = new URL(value)
  return `PostgreSQL ${url.hostname}:${url.port || 5432}${url.pathname || '/'} schema ${schema}`
}
