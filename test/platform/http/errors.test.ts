import t from 'tap'
import { createError, createProblemError } from '../../../src/platform/primitives/coded-errors.js'
import { buildTestApp } from '../../helpers/app.js'

const Teapot = createError('CLV_TEST_TEAPOT', 'I am a teapot: %s', 418)
const Overfull = createProblemError('CLV_TEST_OVERFULL', 'The pot is full: %s', 409)

async function appWithRoutes (t: Parameters<typeof buildTestApp>[0]) {
  const app = await buildTestApp(t, { modules: [] })
  app.get('/coded', async () => { throw new Teapot('short and stout') })
  app.get('/members', async () => { throw new Overfull({ extensions: { cups: 4 }, errors: [{ in: 'body', field: '/tea', message: 'too much' }] }, 'four cups') })
  app.get('/overreaching', async () => { throw new Overfull({ extensions: { status: 200, code: 'CLV_NONE' } }, 'five cups') })
  app.get('/shaped', async () => { throw Object.assign(new Teapot('shaped'), { extensions: { cups: 4 }, fields: [{ field: '/tea', message: 'too much' }] }) })
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

t.test('a problem error adds its members by class: extensions first (never over a standard member), errors[] last', async (t) => {
  const app = await appWithRoutes(t)
  const res = await app.inject({ url: '/members', headers: { 'x-request-id': 'req-2' } })
  t.equal(res.statusCode, 409)
  t.equal(res.body, JSON.stringify({
    cups: 4,
    type: 'urn:cleave:problem:clv-test-overfull',
    title: 'Conflict',
    status: 409,
    code: 'CLV_TEST_OVERFULL',
    instance: '/members',
    requestId: 'req-2',
    detail: 'The pot is full: four cups',
    errors: [{ in: 'body', field: '/tea', message: 'too much' }]
  }))
  t.match((await app.inject('/overreaching')).json(), { status: 409, code: 'CLV_TEST_OVERFULL' }, 'an extension member never replaces a standard one')
  t.ok(new Overfull() instanceof Overfull, 'made without members (a remote caller rebuilding it), it is still its class')
  const shaped = (await app.inject('/shaped')).json()
  t.notOk('cups' in shaped || 'errors' in shaped || 'fields' in shaped, 'a property that merely looks like members is not read')
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
