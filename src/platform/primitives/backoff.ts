// The one exponential backoff of every retry loop: calls, ejections, connecting to PostgreSQL,
// in-process event retries and RabbitMQ's inbound deliveries.

export interface BackoffSchedule {
  /** The wait before the first retry. */
  baseMs: number
  /** No wait is longer than this; unbounded when absent (BullMQ's own exponential backoff is too). */
  maxMs?: number
  /**
   * Full jitter (AWS architecture blog): a random wait up to the step, so callers retrying
   * together spread out instead of colliding.
   */
  jitter?: boolean
}

/** The wait before retry `retry` (0 for the first): baseMs doubled each time, capped at maxMs. */
export function backoffDelay (retry: number, { baseMs, maxMs = Infinity, jitter = false }: BackoffSchedule): number {
  const step = Math.min(maxMs, baseMs * 2 ** retry)
  return jitter ? Math.random() * step : step
}
