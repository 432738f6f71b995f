// The work a task does: checkable from outside, and slow or failing on request (to exercise queues and retries).
import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { UnrecoverableEventError } from '../../platform/events/errors.js'
import type { TaskPayload, TaskResult } from './contract.js'

/** Work that will fail however often it is retried: the event transports do not retry it. */
export class PermanentTaskFailure extends UnrecoverableEventError {}

/** JSON with object keys sorted at every level and no whitespace (RFC 8785 for parsed JSON). */
export function canonicalJson (value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>
    return `{${Object.keys(object).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** Whitespace-separated words in every string value, however deeply nested; keys do not count. */
export function countWords (value: unknown): number {
  if (typeof value === 'string') return value.match(/\S+/g)?.length ?? 0
  if (value !== null && typeof value === 'object') return Object.values(value).reduce((sum: number, item) => sum + countWords(item), 0)
  return 0
}

export async function performTask (payload: TaskPayload, attempt: number): Promise<TaskResult> {
  if (payload.delayMs) await sleep(payload.delayMs)
  if (payload.fail) throw new PermanentTaskFailure(payload.fail)
  if (payload.failAttempts && attempt <= payload.failAttempts) throw new Error(`simulated failure of attempt ${attempt} (failAttempts: ${payload.failAttempts})`)
  const canonical = canonicalJson(payload)
  return {
    checksum: createHash('sha256').update(canonical).digest('hex'),
    words: countWords(payload),
    bytes: Buffer.byteLength(canonical)
  }
}
