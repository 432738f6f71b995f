import type { Redis } from 'ioredis'

// QUIT when connected, so replies still due arrive first; a client that is connecting or
// reconnecting is cut at once: a QUIT queued behind a reconnect could wait for ever.
export async function closeRedis (client: Redis): Promise<void> {
  if (client.status !== 'ready') return client.disconnect()
  await client.quit().catch(() => client.disconnect())
}
