// A target's call settings (timeout, retries, breaker, concurrency): the environment's, overridden per target by the runtime config.
// The clients and the gateway read the same ones, so one override applies to every caller.
import type { Config } from '../../config/config.js'
import type { RuntimeValues } from '../../runtime-config/index.js'
import type { CallSettings } from './pipeline.js'

export function callSettings (config: Config, runtime: RuntimeValues, target: string): CallSettings {
  return {
    timeoutMs: config.CALL_TIMEOUT_MS,
    retries: config.CALL_RETRIES,
    backoffMs: config.CALL_BACKOFF_MS,
    errorThresholdPercentage: config.BREAKER_ERROR_THRESHOLD,
    volumeThreshold: config.BREAKER_VOLUME_THRESHOLD,
    resetTimeoutMs: config.BREAKER_RESET_MS,
    windowMs: config.BREAKER_WINDOW_MS,
    consecutiveFailures: config.BREAKER_CONSECUTIVE_FAILURES,
    concurrency: config.CALL_CONCURRENCY,
    ...runtime.breakers[target]
  }
}
