// Bench settings from the environment: a bad value stops the run before any server starts.

function parse (key: string, raw: string): number {
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${key}: expected a positive integer, got ${JSON.stringify(raw)}`)
  return value
}

export function positiveInteger (key: string, fallback: number): number {
  const raw = process.env[key]
  if (raw === undefined || raw === '') return fallback
  return parse(key, raw)
}

export function positiveIntegers (key: string, fallback: number[]): number[] {
  const raw = process.env[key]
  if (raw === undefined || raw === '') return fallback
  return raw.split(',').map((part) => parse(key, part.trim()))
}
