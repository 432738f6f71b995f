// What can change at run time, fleet-wide. The stored document holds only what an operator set
// (overrides); each process lays it over its own environment to get the values it runs with.
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { Config } from '../config/config.js'
import { maxCalls, maxConcurrency, maxRequests, maxTimerMs } from '../config/settings/limits.js'
import { LogLevel } from '../config/settings/log-level.js'

const BreakerOverrides = Type.Object({
  timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: maxTimerMs, description: 'CALL_TIMEOUT_MS for calls to this target' })),
  errorThresholdPercentage: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'BREAKER_ERROR_THRESHOLD' })),
  volumeThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: maxCalls, description: 'BREAKER_VOLUME_THRESHOLD' })),
  resetTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: maxTimerMs, description: 'BREAKER_RESET_MS' })),
  windowMs: Type.Optional(Type.Integer({ minimum: 100, maximum: maxTimerMs, description: 'BREAKER_WINDOW_MS' })),
  consecutiveFailures: Type.Optional(Type.Integer({ minimum: 0, maximum: maxCalls, description: 'BREAKER_CONSECUTIVE_FAILURES' })),
  concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: maxConcurrency, description: 'CALL_CONCURRENCY for calls to this target' }))
}, { additionalProperties: false })

export type BreakerOverrides = Static<typeof BreakerOverrides>

const RateLimit = Type.Object({
  max: Type.Integer({ minimum: 0, maximum: maxRequests, description: 'requests per client IP per window; 0 turns limiting off' }),
  windowMs: Type.Integer({ minimum: 1, maximum: maxTimerMs })
}, { additionalProperties: false })

// Every change sends the whole document to every process of the fleet: a handful of flags, short-named.
const featureName = /^[a-z][a-z0-9._-]{0,63}$/
const maxFeatures = 100

/** A target module's breaker settings, keyed by module name; unknown modules are refused. */
export function overridesSchema (modules: string[]) {
  return Type.Object({
    logLevel: Type.Optional(LogLevel),
    breakers: Type.Optional(Type.Object(
      Object.fromEntries(modules.map((module) => [module, Type.Optional(BreakerOverrides)])),
      { additionalProperties: false }
    )),
    rateLimit: Type.Optional(Type.Partial(RateLimit, { additionalProperties: false })),
    features: Type.Optional(Type.Record(Type.RegExp(featureName), Type.Boolean(), { additionalProperties: false, maxProperties: maxFeatures }))
  }, { additionalProperties: false })
}

export interface RuntimeOverrides {
  logLevel?: Static<typeof LogLevel>
  breakers?: Record<string, BreakerOverrides | undefined>
  rateLimit?: Partial<Static<typeof RateLimit>>
  features?: Record<string, boolean>
}

export interface RuntimeValues {
  logLevel: Static<typeof LogLevel>
  breakers: Record<string, BreakerOverrides | undefined>
  rateLimit: Static<typeof RateLimit>
  features: Record<string, boolean>
}

export interface InvalidField { field: string, message: string }

export function invalidFields (schema: ReturnType<typeof overridesSchema>, candidate: unknown): InvalidField[] {
  return [...Value.Errors(schema, candidate)].map((error) => ({ field: error.path || '/', message: error.message }))
}

export function effectiveValues (config: Config, overrides: RuntimeOverrides): RuntimeValues {
  return {
    logLevel: overrides.logLevel ?? config.LOG_LEVEL,
    breakers: overrides.breakers ?? {},
    rateLimit: { max: config.RATE_LIMIT_MAX, windowMs: config.RATE_LIMIT_WINDOW_MS, ...overrides.rateLimit },
    features: overrides.features ?? {}
  }
}
