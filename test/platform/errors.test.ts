import t from 'tap'
import { createError } from '../../src/platform/http/errors.js'
import { buildTestApp } from '../helpers/app.js'

const Teapot = createError('CLV_TEST_TEAPOT', 'I am a teapot: %s', 418)

async function appWithRoutes (t: Parameters<typeof buildTestApp>[0]) {
  const app = await buildTestApp(t, { modules: [] })
  app.get('/coded', async () => { throw new Teapot('short and stout') })
  app.get('/crash', async () => { throw new Error('password=hunter2 at /srv/secret.ts:12') })
  app.get('/unavailable', async () => { throw Object.assign(new Error('pool exhausted on db-3'), { statusCode: 503 }) })
  return app
}

t.test('a coded error becomes problem+json with its code and message', async (t) => {
  const app = await appWithRoutes(t)
  const res = await app.inject({ url: '/coded', headers: { 'x-request-id': 'req-1' } })
  t.equal(res.statusCode, 418)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.same(res.json(), {
    type: 'urn:cleave:problem:clv-test-teapot',
    title: "I'm a Teapot",
    status: 418,
    code: 'CLV_TEST_TEAPOT',
    detail: 'I am a teapot: short and stout',
    instance: '/coded',
    requestId: 'req-1'
  })
})

t.test('a 5xx never leaks its message or stack', async (t) => {
  const app = await appWithRoutes(t)
  for (const url of ['/crash', '/unavailable']) {
    const res = await app.inject(url)
    t.ok(res.statusCode >= 500, url)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.notMatch(res.body, /hunter2|secret|db-3|pool|at \//, `${url} hides internals`)
    t.match(res.json(), { code: 'CLV_INTERNAL', detail: 'An unexpected error occurred' })
  }
})

t.test('an unknown route is a 404 problem', async (t) => {
  const app = await appWithRoutes(t)
  const res = await app.inject({ method: 'PUT', url: '/nowhere?x=1' })
  t.equal(res.statusCode, 404)
  t.match(res.json(), { code: 'CLV_ROUTE_NOT_FOUND', detail: 'Route PUT /nowhere not found' })
})
