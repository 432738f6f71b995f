// A client that writes bytes to a socket as given (slowly, if asked), for requests no HTTP library
// would send: bodies that trickle, impossible chunk sizes, connections held open.
import { connect, type Socket } from 'node:net'
import type { Test } from 'tap'

export interface RawAnswer {
  /** Bytes received before the server closed; none means the connection was dropped unanswered. */
  received: number
  status: number
  headers: Record<string, string>
  body: string
}

export interface RawExchange {
  socket: Socket
  /** Resolves with what the server answered once it has closed the connection. */
  closed: Promise<RawAnswer>
  isClosed (): boolean
  /** Bytes of the trickle written so far. */
  trickled (): number
}

export function parseAnswer (bytes: Buffer): RawAnswer {
  const text = bytes.toString('utf8')
  const end = text.indexOf('\r\n\r\n')
  const [statusLine = '', ...lines] = (end === -1 ? text : text.slice(0, end)).split('\r\n')
  const headers = Object.fromEntries(lines.map((line) => {
    const colon = line.indexOf(':')
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]
  }))
  return { received: bytes.length, status: Number(statusLine.split(' ')[1]), headers, body: end === -1 ? '' : text.slice(end + 4) }
}

/** Sends `head` at once, then `trickle` one byte every `everyMs`, until the server closes the connection. */
export function rawExchange (t: Test, port: number, head: string, { trickle = '', everyMs = 100 } = {}): RawExchange {
  const socket = connect(port, '127.0.0.1')
  const chunks: Buffer[] = []
  let sent = 0
  let closed = false
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  // A server that closes with bytes unread resets the connection: what it answered is still read.
  socket.on('error', () => {})
  socket.write(Buffer.from(head, 'latin1'))
  const timer = trickle === ''
    ? undefined
    : setInterval(() => { if (sent < trickle.length && socket.writable) socket.write(Buffer.from(trickle[sent++], 'latin1')) }, everyMs)
  // Not events.once: it rejects on the 'error' a reset emits before 'close'.
  const done = new Promise<void>((resolve) => socket.once('close', () => resolve())).then(() => {
    clearInterval(timer)
    closed = true
    return parseAnswer(Buffer.concat(chunks))
  })
  t.teardown(() => { socket.destroy() })
  return { socket, closed: done, isClosed: () => closed, trickled: () => sent }
}
