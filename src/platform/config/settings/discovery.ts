import { Type } from '@sinclair/typebox'
import { maxTimerMs } from './limits.js'

/** Discovery and health checks: how a process finds the modules it does not mount, and notices one that hangs. */
export const discoverySettings = {
  DISCOVERY: Type.Union([Type.Literal('static'), Type.Literal('redis')], { default: 'static', description: 'how a process finds the modules it does not mount: `static`, from `SERVICE_<MODULE>_URL`, or `redis`, from the instances registered in Redis' }),
  ADVERTISE_URL: Type.Optional(Type.String({ pattern: '^https?://', urlKind: 'http', defaultText: '`http://HOST:PORT`', description: 'the URL other processes reach this one at (Redis discovery); unset, `HOST` (the machine\'s name for a wildcard such as `0.0.0.0`) and the port it listens on' })),
  DISCOVERY_TTL_MS: Type.Integer({ minimum: 500, maximum: maxTimerMs, default: 5000, description: 'a registered instance not heard from for this long is dropped' }),
  HEALTH_CHECK_INTERVAL_MS: Type.Integer({ minimum: 0, maximum: maxTimerMs, default: 1000, description: 'how often a process that reaches other modules over HTTP (the gateway for the modules it routes, a module process for those it does not serve) sends `GET /health/live` to each of their instances; `0`: no health checks (docs/guides/splitting.md)' }),
  HEALTH_CHECK_TIMEOUT_MS: Type.Integer({ minimum: 1, maximum: maxTimerMs, default: 500, description: 'longest wait for a health check\'s answer, another module\'s or one of this process\'s own readiness checks (Redis, each database); none in time, or a 5xx, fails the check' }),
  HEALTH_CHECK_FAILURES: Type.Integer({ minimum: 1, default: 2, description: 'failed health checks in a row that take an instance out of rotation until it passes one; a lone static `SERVICE_<MODULE>_URL`, which may name several replicas (a Kubernetes Service in front of several pods, say), needs three times as many' })
}
