// What a remote call may still do: the timeout stage passes it, the stages that wait ask it.

/**
 * A call's deadline: a plain object the stages ask, where an AbortController and its listeners
 * cost every call more than the timer itself (bench/README.md).
 */
export class Deadline {
  /** Why the call was cut, once the deadline has passed. */
  passed: Error | undefined
  #cut: ((reason: Error) => void) | undefined

  pass (reason: Error): void {
    this.passed = reason
    this.#cut?.(reason)
  }

  /** `cut` runs if the deadline passes before `release`; at once if it already has. */
  watch (cut: (reason: Error) => void): void {
    if (this.passed) cut(this.passed)
    else this.#cut = cut
  }

  release (): void {
    this.#cut = undefined
  }

  /** Waits `ms`, or rejects when the deadline passes first. */
  sleep (ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.release(); resolve() }, ms)
      this.watch((reason) => { clearTimeout(timer); reject(reason) })
    })
  }
}
