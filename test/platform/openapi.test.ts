import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('OpenAPI 3 is built from the route schemas of the mounted modules', async (t) => {
  const app = await buildTestApp(t)
  const res = await app.inject('/docs/json')
  t.equal(res.statusCode, 200)
  const doc = res.json()
  t.match(doc.openapi, /^3\./)
  t.ok(doc.paths['/service'].get, '/service')
  t.ok(doc.paths['/users/{id}'].get && doc.paths['/users/{id}'].patch && doc.paths['/users/{id}'].delete, '/users/{id}')
  t.ok(doc.paths['/users'].get && doc.paths['/users'].post, '/users')
  t.ok(doc.paths['/health/ready'].get, 'platform routes too')
  t.equal(doc.paths['/users/{id}'].get.operationId, 'users.getUser')
  t.ok(doc.paths['/service'].get.responses['200'].content['text/plain'], 'the greeting is documented as text')
  t.ok(doc.paths['/users/{id}'].get.responses['404'].content['application/problem+json'], 'errors are problem+json')
  t.ok(doc.components.schemas.Problem, 'Problem is one shared schema')
  const body = doc.paths['/users'].post.requestBody.content['application/json'].schema
  t.same(body.required.sort(), ['email', 'name'])
})

t.test('only the selected modules are documented', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'] })
  const doc = (await app.inject('/docs/json')).json()
  t.notOk(doc.paths['/service'])
  t.ok(doc.paths['/users'])
})

t.test('Swagger UI is served at /docs', async (t) => {
  const app = await buildTestApp(t, { modules: ['hello'] })
  const res = await app.inject('/docs/')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /text\/html/)
  t.match(res.body, /swagger-ui/i)
})
