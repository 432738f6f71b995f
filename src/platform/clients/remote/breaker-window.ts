// opossum fixes the length of a breaker's rolling window when the breaker is made. Turning its
// buckets from this clock instead lets BREAKER_WINDOW_MS change at run time on the same breaker,
// which keeps its state and counts.
import { EventEmitter } from 'node:events'

/** Slices of the window: it forgets its oldest tenth at a time. */
export const windowBuckets = 10

export interface BreakerWindow {
  /** Passed to opossum as rotateBucketController. */
  controller: EventEmitter
  resize (windowMs: number): void
  stop (): void
}

export function createBreakerWindow (windowMs: number): BreakerWindow {
  const controller = new EventEmitter()
  let length = 0
  let timer: NodeJS.Timeout | undefined

  function resize (next: number) {
    if (next === length) return
    length = next
    clearInterval(timer)
    timer = setInterval(() => controller.emit('rotate'), Math.max(1, Math.floor(next / windowBuckets)))
    timer.unref()
  }
  resize(windowMs)

  return { controller, resize, stop: () => clearInterval(timer) }
}
