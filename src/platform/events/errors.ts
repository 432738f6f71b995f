/**
 * An event that will fail however often it is delivered: no transport retries it (on Redis it
 * becomes BullMQ's UnrecoverableError, failed at once with the reason on the job). Handlers throw
 * it, or a subclass, for input that will never succeed.
 */
export class UnrecoverableEventError extends Error {}

/** A payload that fails its schema, or an event this module has no handler for. */
export class InvalidEventPayload extends UnrecoverableEventError {}
