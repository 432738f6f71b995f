// Sends one fuzzed request over real HTTP: undici when the request is valid HTTP syntax, a raw
// socket when it is not (bytes undici refuses to put on the wire, methods it does not know).
import { connect } from 'node:net'
import { Agent } from 'undici'

export interface FuzzRequest {
  method: string
  /** As sent on the request line: may hold raw bytes (latin1) and traversal sequences. */
  path: string
  headers: Record<string, string>
  body?: Buffer
  /** What the request exercises, for the report. */
  kind: string
}

export interface FuzzResponse {
  status: number
  type: string
  text: string
}

const agent = new Agent({ keepAliveTimeout: 10_000, connections: 4 })

function needsSocket (req: FuzzRequest): boolean {
  return /[^\x21-\x7e]/.test(req.path) || !/^[A-Z]+$/.test(req.method)
}

// A request line the parser refuses is answered and the socket reset at once: a large body still
// being written would make that reset discard the answer in flight, so bodies sent this way stay small.
const socketBodyLimit = 16 * 1024

async function viaSocket (base: URL, fuzzed: FuzzRequest, declaredLength?: number): Promise<FuzzResponse> {
  const req = { ...fuzzed, body: fuzzed.body?.subarray(0, socketBodyLimit) }
  const socket = connect(Number(base.port), base.hostname)
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  // The server may answer and close before a large body is written: the answer is what counts.
  socket.on('error', () => {})
  // A server still waiting for body bytes would hold the socket open: give up, which reports no answer.
  socket.setTimeout(10_000, () => socket.destroy())
  const head = [`${req.method} ${req.path} HTTP/1.1`, `Host: ${base.host}`, 'Connection: close',
    ...Object.entries(req.headers).map(([name, value]) => `${name}: ${value}`),
    ...(declaredLength !== undefined ? [`Content-Length: ${declaredLength}`] : req.body ? [`Content-Length: ${req.body.length}`] : []), '', '']
  socket.write(Buffer.from(head.join('\r\n'), 'latin1'))
  if (req.body) socket.write(req.body)
  await new Promise((resolve) => socket.on('close', resolve))
  const raw = Buffer.concat(chunks)
  if (raw.length === 0) throw new Error('the connection closed without an answer')
  const split = raw.indexOf('\r\n\r\n')
  const headers = raw.subarray(0, split).toString('latin1')
  let body: Buffer = raw.subarray(split + 4)
  if (/transfer-encoding: chunked/i.test(headers)) body = unchunk(body)
  return { status: Number(headers.split(' ')[1]), type: /\r\ncontent-type: ([^\r]*)/i.exec(headers)?.[1] ?? '', text: body.toString('utf8') }
}

function unchunk (body: Buffer): Buffer {
  const parts: Buffer[] = []
  for (let at = 0; at < body.length;) {
    const end = body.indexOf('\r\n', at)
    const size = parseInt(body.subarray(at, end).toString('latin1'), 16)
    if (!(size > 0)) break
    parts.push(body.subarray(end + 2, end + 2 + size))
    at = end + 2 + size + 2
  }
  return Buffer.concat(parts)
}

function brokenPipe (error: unknown): boolean {
  const codes = [(error as NodeJS.ErrnoException).code, ((error as { cause?: NodeJS.ErrnoException }).cause)?.code]
  return codes.some((code) => code === 'EPIPE' || code === 'ECONNRESET' || code === 'UND_ERR_SOCKET')
}

export async function send (base: URL, req: FuzzRequest): Promise<FuzzResponse> {
  if (needsSocket(req)) return viaSocket(base, req)
  // origin + path as given: a URL object would resolve ../ and re-encode before sending.
  let res
  try {
    res = await agent.request({ origin: base.origin, path: req.path, method: req.method, headers: req.headers, body: req.body })
  } catch (error) {
    // A server may answer a request it will not read the body of (an unknown route, a declared
    // length over the limit) and close while a large body is still being written: undici then
    // reports the failed write, not the answer. Ask again with the same declared length and no
    // body bytes, which the server judges the same way, and take that answer.
    if (!req.body || req.body.length <= socketBodyLimit || !brokenPipe(error)) throw error
    return viaSocket(base, { ...req, body: undefined }, req.body.length)
  }
  const text = await res.body.text()
  const type = res.headers['content-type']
  return { status: res.statusCode, type: Array.isArray(type) ? type[0] : type ?? '', text }
}

export async function closeAgent (): Promise<void> {
  await agent.close()
}
