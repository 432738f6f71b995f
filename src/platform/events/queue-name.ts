/** A subscribing module's BullMQ queue; in-process, the queue label of its handlers' metrics and spans. */
export function queueName (module: string): string {
  return `events-${module}`
}
