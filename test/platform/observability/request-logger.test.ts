import t from 'tap'
import { Writable } from 'node:stream'
import pino from 'pino'
import { requestLogger } from '../../../src/platform/observability/request-logger.js'

function capture (level: string) {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(JSON.parse(String(chunk)) as Record<string, unknown>); done() } })
  const parent = pino({ level }, stream)
  let children = 0
  const child = parent.child.bind(parent)
  parent.child = ((...args: Parameters<typeof parent.child>) => { children++; return child(...args) }) as typeof parent.child
  return { parent, lines, children: () => children }
}

const bindings = { reqId: 'req-1', trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331' }

t.test('a request that writes no line makes no child logger', async (t) => {
  const { parent, lines, children } = capture('warn')
  const log = requestLogger(parent, { ...bindings }, {})
  log.info({ status: 200 }, 'request')
  log.debug('detail')
  t.equal(log.isLevelEnabled('info'), false)
  t.equal(children(), 0, 'no child made')
  t.same(lines, [])
})

t.test('every line carries the request id and trace ids, from one child', async (t) => {
  const { parent, lines, children } = capture('info')
  const log = requestLogger(parent, { ...bindings }, {})
  log.info({ status: 200 }, 'request')
  log.error(new Error('boom'), 'request errored')
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(children(), 1, 'one child for the request')
  t.match(lines, [{ ...bindings, status: 200, msg: 'request' }, { ...bindings, msg: 'request errored', err: { message: 'boom' } }])
  t.same(log.bindings(), bindings)
})

t.test('a level changed at runtime on the process logger applies to requests under way', async (t) => {
  const { parent, lines } = capture('warn')
  const log = requestLogger(parent, { ...bindings }, {})
  log.info('before')
  parent.level = 'info'
  t.equal(log.level, 'info')
  log.info('after')
  await new Promise((resolve) => setImmediate(resolve))
  t.match(lines, [{ msg: 'after', reqId: 'req-1' }])
  t.equal(lines.length, 1)
})

t.test("a route's own log level makes the child at once", async (t) => {
  const { parent, lines, children } = capture('warn')
  const log = requestLogger(parent, { ...bindings }, { level: 'debug' })
  t.equal(children(), 1)
  log.debug('route detail')
  await new Promise((resolve) => setImmediate(resolve))
  t.match(lines, [{ msg: 'route detail', ...bindings }])
})
