import { readFileSync } from 'node:fs'

/**
 * The soft "Max open files" of this process, from Linux's /proc/self/limits; undefined elsewhere or
 * when unlimited. Node has no getrlimit, and it raises the soft limit to the hard one at start-up,
 * so this is the limit the process really runs with.
 */
export function openFileLimit (limits = readLimits()): number | undefined {
  const soft = /^Max open files\s+(\S+)/m.exec(limits)?.[1]
  return soft !== undefined && /^\d+$/.test(soft) ? Number(soft) : undefined
}

function readLimits (): string {
  try {
    return readFileSync('/proc/self/limits', 'utf8')
  } catch {
    return ''
  }
}
