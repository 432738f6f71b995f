// The settings named after a module: where its instances are, where its data is.

export function serviceUrlKey (module: string): string {
  return `SERVICE_${module.toUpperCase().replaceAll('-', '_')}_URL`
}

export function databaseUrlKey (module: string): string {
  return `${module.toUpperCase().replaceAll('-', '_')}_DATABASE_URL`
}
