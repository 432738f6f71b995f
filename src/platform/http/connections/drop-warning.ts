import type { FastifyBaseLogger } from 'fastify'

/**
 * Counts connections the server dropped at its cap and says so at warn: at once for the first,
 * then at most once per `everyMs` with how many were dropped since. A flood of refused
 * connections must not become a flood of log lines, yet an operator sees it start and last.
 */
export function createDropWarning (log: FastifyBaseLogger, maxConnections: number, everyMs = 5000) {
  let dropped = 0
  let window: NodeJS.Timeout | undefined

  function warn (): void {
    log.warn({ maxConnections, dropped, windowMs: everyMs }, `connection limit reached: ${dropped} new connection${dropped === 1 ? '' : 's'} dropped`)
    dropped = 0
  }

  function report (): void {
    window = undefined
    if (dropped === 0) return
    warn()
    window = setTimeout(report, everyMs).unref()
  }

  return {
    dropped (): void {
      dropped += 1
      if (window === undefined) report()
    },
    /** Reports what is still counted and stops the timer. */
    stop (): void {
      clearTimeout(window)
      if (dropped > 0) warn()
    }
  }
}
