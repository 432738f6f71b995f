import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

t.test('a request id is generated, or taken from x-request-id, and echoed', async (t) => {
  const app = await buildTestApp(t, { modules: ['hello'] })
  const generated = await app.inject('/service')
  t.match(generated.headers['x-request-id'], uuid)
  const a = await app.inject('/service')
  t.not(a.headers['x-request-id'], generated.headers['x-request-id'], 'each request gets its own')

  const given = await app.inject({ url: '/service', headers: { 'x-request-id': 'caller-42.retry:1' } })
  t.equal(given.headers['x-request-id'], 'caller-42.retry:1')

  const errorReply = await app.inject({ url: '/users/1', headers: { 'x-request-id': 'caller-43' } })
  t.equal(errorReply.headers['x-request-id'], 'caller-43', 'error replies carry it too')
  t.equal(errorReply.json().requestId, 'caller-43')
})

t.test('an unsafe or oversized request id is replaced', async (t) => {
  const app = await buildTestApp(t, { modules: ['hello'] })
  for (const bad of ['has space', 'x'.repeat(129), 'quote"inject', 'line\\nbreak']) {
    const res = await app.inject({ url: '/service', headers: { 'x-request-id': bad } })
    t.match(res.headers['x-request-id'], uuid, JSON.stringify(bad))
  }
})
