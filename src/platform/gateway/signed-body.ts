// With SERVICE_SECRET, the gateway's token names a digest of the body it relays, so the body is
// read whole before the request goes on (never parsed), up to the body limit: a token captured
// from one request cannot carry another body. That holds up to BODY_LIMIT_BYTES in memory per
// request in flight. Without a secret bodies stream as they come.
import type { Readable } from 'node:stream'
import { BodyTooLarge } from '../http/errors.js'

export async function wholeBody (source: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  // Not destroyed on the way out: a 413 is answered on the same connection (with Connection: close).
  for await (const chunk of source.iterator({ destroyOnReturn: false })) {
    size += (chunk as Buffer).length
    if (size > limit) throw new BodyTooLarge(limit)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks, size)
}
