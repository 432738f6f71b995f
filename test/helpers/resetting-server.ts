import type { Test } from 'tap'
import { recordingServer } from './recording-server.js'

/**
 * A real HTTP server that takes each request and breaks its connection without answering: the
 * caller cannot tell whether the request was acted on, so it must not be sent again unless idempotent.
 */
export async function resettingServer (t: Test): Promise<{ url: string, requests: string[] }> {
  return recordingServer(t, (request) => { request.socket.destroy() })
}
