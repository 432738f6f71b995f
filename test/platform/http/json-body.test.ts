import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'

const user = '{"name":"A","email":"a@example.com"}'

t.test('a JSON body announced in another charset is 415 naming it; UTF-8 however spelled is read', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'] })
  for (const charset of ['utf-16', 'bogus', 'latin1', 'UTF-16LE']) {
    const res = await app.inject({ method: 'POST', url: '/users', headers: { 'content-type': `application/json; charset=${charset}` }, payload: user })
    t.equal(res.statusCode, 415, charset)
    t.match(res.json(), { code: 'CLV_UNSUPPORTED_CHARSET', detail: `charset "${charset}" is not supported: JSON bodies are UTF-8 (RFC 8259)` })
  }
  t.equal((await app.inject('/users')).json().length, 0, 'nothing stored')
  let n = 0
  for (const contentType of ['application/json; charset=utf-8', 'application/json;charset=UTF8', 'application/json; charset="UTF-8"', 'application/json']) {
    const res = await app.inject({ method: 'POST', url: '/users', headers: { 'content-type': contentType }, payload: user.replace('a@', `a${n++}@`) })
    t.equal(res.statusCode, 201, contentType)
  }
})

t.test('every refusal of a body carries a CLV_* code and says what is wrong', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'] })
  const cases: Array<[string, string, string, number, string]> = [
    ['invalid JSON', 'application/json', '{"name":', 400, 'CLV_INVALID_JSON'],
    ['an empty body', 'application/json', '', 400, 'CLV_EMPTY_BODY'],
    ['__proto__', 'application/json', '{"__proto__":{"x":1},"name":"A","email":"a@example.com"}', 400, 'CLV_FORBIDDEN_KEY'],
    ['constructor.prototype', 'application/json', '{"constructor":{"prototype":{"x":1}},"name":"A","email":"a@example.com"}', 400, 'CLV_FORBIDDEN_KEY'],
    ['a text body', 'text/plain', 'hello', 415, 'CLV_UNSUPPORTED_MEDIA_TYPE'],
    ['a form', 'application/x-www-form-urlencoded', 'name=A', 415, 'CLV_UNSUPPORTED_MEDIA_TYPE']
  ]
  for (const [name, contentType, payload, status, code] of cases) {
    const res = await app.inject({ method: 'POST', url: '/users', headers: { 'content-type': contentType }, payload })
    t.equal(res.statusCode, status, name)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.equal(res.json().code, code, name)
  }
  t.match((await app.inject({ method: 'POST', url: '/users', headers: { 'content-type': 'text/plain' }, payload: 'x' })).json().detail, 'Content-Type "text/plain" is not accepted: send application/json')
})

t.test('the admin merge patch is read by the same parser', async (t) => {
  const app = await buildTestApp(t, { modules: ['hello'], env: { ADMIN_TOKEN: 'a'.repeat(32) } })
  const res = await app.inject({ method: 'PATCH', url: '/admin/config', headers: { authorization: `Bearer ${'a'.repeat(32)}`, 'content-type': 'application/merge-patch+json; charset=utf-16' }, payload: '{}' })
  t.equal(res.statusCode, 415)
  t.equal(res.json().code, 'CLV_UNSUPPORTED_CHARSET')
})
