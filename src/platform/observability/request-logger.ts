// The logger Fastify makes for each request, made only when the request writes a line. pino's
// child() serializes its bindings (request id, trace ids) as it is made; at LOG_LEVEL=warn most
// requests write nothing, and that work was the largest part of what logging cost them.
import type { Bindings, ChildLoggerOptions, Level, Logger } from 'pino'

const levels: Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace']

type LogMethod = (...args: unknown[]) => void

class RequestLogger {
  #child: Logger | undefined
  readonly #parent: Logger
  readonly #bindings: Bindings

  constructor (parent: Logger, bindings: Bindings) {
    this.#parent = parent
    this.#bindings = bindings
  }

  /** The real child, with the same bindings as an eager one would have had. */
  get #logger (): Logger {
    return (this.#child ??= this.#parent.child(this.#bindings))
  }

  // Read from the process logger until the child exists, so a level changed at runtime applies.
  get level (): string { return (this.#child ?? this.#parent).level }
  set level (level: string) { this.#logger.level = level }

  isLevelEnabled (level: string): boolean { return (this.#child ?? this.#parent).isLevelEnabled(level) }
  child (bindings: Bindings, options?: ChildLoggerOptions): Logger { return this.#logger.child(bindings, options) }
  bindings (): Bindings { return this.#logger.bindings() }
  setBindings (bindings: Bindings): void { this.#logger.setBindings(bindings) }
  flush (callback?: (error?: Error) => void): void { this.#logger.flush(callback) }
  silent (): void {}

  static {
    for (const level of levels) {
      const method: LogMethod = function (this: RequestLogger, ...args) {
        if (!this.isLevelEnabled(level)) return
        ;(this.#logger[level] as LogMethod)(...args)
      }
      Object.defineProperty(RequestLogger.prototype, level, { value: method, writable: true, configurable: true })
    }
  }
}

/**
 * A request's logger: pino's child with `bindings`, made on its first line. Options (a route's
 * own log level or serializers) need the real child at once.
 */
export function requestLogger (parent: Logger, bindings: Bindings, options: ChildLoggerOptions): Logger {
  if (Object.keys(options).length > 0) return parent.child(bindings, options)
  return new RequestLogger(parent, bindings) as unknown as Logger
}
