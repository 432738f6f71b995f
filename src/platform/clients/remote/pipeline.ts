// A remote call passes through stages, outermost first (transport.ts lists them); each stage is
// `(next) => (call) => Promise` and is composed once per target, so a call allocates only its
// RemoteCall record.
import type { TSchema } from '@sinclair/typebox'
import type { ValidateFunction } from 'ajv'
import type { OperationContext, RouteDefinition } from '../../contracts/define-contract.js'
import type { CallInput } from '../input-validator.js'
import type { Deadline } from './deadline.js'

/** How calls to one target behave: their timeout, retries, breaker and concurrency. */
export interface CallSettings {
  timeoutMs: number
  retries: number
  /** Longest first backoff before retrying after a 502/503/504 answer. */
  backoffMs: number
  errorThresholdPercentage: number
  volumeThreshold: number
  resetTimeoutMs: number
  /** Length of the rolling window the percentage rule looks at. */
  windowMs: number
  /** Failed calls in a row, of any kind, that open the breaker; 0: never for that alone. */
  consecutiveFailures: number
  /** Calls to the target in flight at once; over it, a call is refused (bulkhead.ts). */
  concurrency: number
}

/** The settings in force: read on each use, so a runtime change applies to the next call. */
export type Settings = () => CallSettings

/** What is known of an operation before any call: computed once per target. */
export interface RemoteOperation {
  name: string
  route: RouteDefinition
  /** The route's path with a call's parameters in it. */
  path: (params: CallInput['params']) => string
  success: { status: number, mediaType: string, schema?: TSchema }
  /** The success body's check, when it is JSON with a schema. */
  check: ValidateFunction | undefined
  accept: string
}

/** One call on its way through the stages; the stages fill in what they own. */
export interface RemoteCall {
  operation: RemoteOperation
  input: CallInput
  context: OperationContext
  /** Path and query string, from the route and the input. */
  path: string
  headers: Record<string, string>
  body: string | undefined
  /** Set by the timeout stage. */
  deadline: Deadline | undefined
  /** Set by the instances stage: the target's instances for this call. */
  instances: string[]
  /** Set by the retry stage: the instance this attempt goes to. */
  instance: string
}

/** An instance's answer, read whole. */
export interface RemoteAnswer {
  statusCode: number
  body: Buffer
}

export type Next = (call: RemoteCall) => Promise<unknown>
export type Stage = (next: Next) => Next

/** The stages in the order they apply, the first outermost, around the last step. */
export function compose (stages: Stage[], last: Next): Next {
  return stages.reduceRight((next, stage) => stage(next), last)
}
