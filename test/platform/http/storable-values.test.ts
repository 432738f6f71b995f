// dialects: sqlite postgres
// Values at the edges of JSON, HTTP and SQL types: each is refused with 400 naming the field, on
// every route and in every part (params, query string, body), so nothing reaches a database that
// would store it changed or fail on it. The dialect matrix runs the same requests there.
import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'
import { firstUnstorable, maxDepth } from '../../../src/platform/http/storable-values.js'

const app = await buildTestApp(t)
const ada = (await app.inject({ method: 'POST', url: '/users', payload: { name: 'Ada', email: 'ada@example.com' } })).json() as { id: number }

const numbers = ['Infinity', '-Infinity', 'NaN', '1e999', '-1e999', '1e21', '9007199254740993', '9223372036854775808']

t.test('numbers that are not numbers, or past 2^53, in paths and query strings: 400 naming the field', async (t) => {
  for (const text of numbers) {
    for (const [url, field] of [[`/users/${text}`, 'params/id'], [`/users?limit=${text}`, 'querystring/limit'], [`/users?cursor=${text}`, 'querystring/cursor'], [`/orders?userId=${text}`, 'querystring/userId'], [`/orders/${text}`, 'params/id']]) {
      const res = await app.inject(url)
      t.equal(res.statusCode, 400, `${url}: ${res.payload}`)
      t.match(res.json(), { code: 'CLV_VALIDATION', detail: new RegExp(`^${field} `) }, url)
    }
  }
})

t.test('numbers JSON.parse cannot keep (1e999 is Infinity) or no column holds, in bodies: 400', async (t) => {
  for (const userId of ['1e999', '-1e999', '1e308', '9007199254740993']) {
    const res = await app.inject({ method: 'POST', url: '/orders', headers: { 'content-type': 'application/json' }, payload: `{"userId":${userId},"items":[{"sku":"A-1","qty":1}]}` })
    t.equal(res.statusCode, 400, `userId ${userId}: ${res.payload}`)
    t.match(res.json(), { errors: [{ in: 'body', field: '/userId' }] })
  }
})

t.test('a NUL or a lone surrogate in a string: 400 naming the field; a whole surrogate pair is stored as sent', async (t) => {
  const refused: Array<[string, string]> = [['A\\u0000B', 'NUL'], ['S\\ud800X', 'lone surrogate'], ['\\udfffX', 'lone surrogate'], ['X\\ud83d', 'lone surrogate']]
  for (const [name, what] of refused) {
    for (const [method, url, extra] of [['POST', '/users', ',"email":"edge@example.com"'], ['PATCH', `/users/${ada.id}`, '']]) {
      const res = await app.inject({ method: method as 'POST', url, headers: { 'content-type': 'application/json' }, payload: `{"name":"${name}"${extra}}` })
      t.equal(res.statusCode, 400, `${method} ${url} with a ${what}: ${res.payload}`)
      t.match(res.json(), { errors: [{ in: 'body', field: '/name' }] })
    }
  }
  const email = await app.inject({ method: 'POST', url: '/users', headers: { 'content-type': 'application/json' }, payload: '{"name":"Nul","email":"a\\u0000b@example.com"}' })
  t.equal(email.statusCode, 400, 'a NUL in an email too')
  const query = await app.inject('/orders?userId=1%00')
  t.equal(query.statusCode, 400, 'and in a query string')

  const pair = await app.inject({ method: 'POST', url: '/users', payload: { name: 'Ada 👩‍🔬 𝕏', email: 'pair@example.com' } })
  t.equal(pair.statusCode, 201)
  t.equal((await app.inject(`/users/${pair.json().id}`)).json().name, 'Ada 👩‍🔬 𝕏', 'read back exactly')
  t.equal((await app.inject(`/users/${ada.id}`)).json().name, 'Ada', 'nothing refused changed the stored user')
})

t.test('the walk: first offender by JSON pointer, nesting bounded, no recursion', async (t) => {
  t.equal(firstUnstorable({ a: [1, 'ok', { b: true }], c: null }), undefined)
  t.match(firstUnstorable({ a: [1, { 'b/c': 'x\u0000' }] }), { instancePath: '/a/1/b~1c', message: /NUL/ })
  t.match(firstUnstorable({ 'k\ud800': 1 }), { message: /name must be well-formed/ })
  let deep: unknown = 1
  for (let i = 0; i < 20_000; i++) deep = { d: deep }
  t.match(firstUnstorable(deep), { message: `must not nest deeper than ${maxDepth} levels` }, 'twenty thousand levels: refused, no stack overflow')
})
