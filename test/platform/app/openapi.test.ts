import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'
import { lintErrors, redoclyLint } from '../../helpers/redocly.js'

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

type Doc = {
  paths: Record<string, Record<string, { operationId?: string, security?: unknown[], requestBody?: unknown, responses: Record<string, { description: string, headers?: Record<string, unknown>, content?: Record<string, { schema: { $ref?: string } }> }> }>>
  [key: string]: any
}

function operations (doc: Doc) {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })))
}

function problemStatuses (operation: Doc['paths'][string][string]): string[] {
  return Object.keys(operation.responses).filter((status) => operation.responses[status].content?.['application/problem+json']?.schema.$ref === '#/components/schemas/Problem')
}

t.test('the document is one a client generator can use: every operation named, secured, described, its refusals declared', async (t) => {
  const app = await buildTestApp(t)
  const doc: Doc = (await app.inject('/docs/json')).json()
  t.ok(doc.servers?.length > 0, 'servers')
  t.ok(doc.info.license?.name && doc.info.contact?.name, 'license and contact')
  t.match(doc.components.securitySchemes, { serviceToken: { type: 'apiKey', in: 'header', name: 'x-cleave-service-token' }, adminToken: { type: 'http', scheme: 'bearer' } })
  t.same(doc.tags.map((tag: { name: string }) => tag.name), ['platform', 'hello', 'notifications', 'orders', 'proxy', 'tasks', 'users'])
  t.ok(doc.tags.every((tag: { description?: string }) => tag.description), 'every tag has a description')

  const ids = operations(doc).map(({ operation }) => operation.operationId)
  t.same(ids.filter((id) => id === undefined), [], 'every operation has an operationId')
  t.equal(new Set(ids).size, ids.length, 'operationIds are unique')
  for (const { name, operation } of operations(doc)) {
    t.same(operation.security, [], `${name}: open, as it is without SERVICE_SECRET`)
    const descriptions = Object.values(operation.responses).map((response) => response.description)
    t.notOk(descriptions.includes('Default Response'), `${name}: every response described`)
    if (name.includes(' /health')) continue
    const expected = ['400', '429', '500', ...(operation.requestBody ? ['413', '415'] : [])]
    t.same(expected.filter((status) => !problemStatuses(operation).includes(status)), [], `${name}: declares ${expected.join(', ')} as problems`)
    if (!operation.requestBody) t.notOk(operation.responses['413'] ?? operation.responses['415'], `${name}: no 413/415 without a body`)
    t.ok(operation.responses['429'].headers?.['Retry-After'], `${name}: 429 says when to retry`)
  }
  for (const [name, path, status] of [['users.createUser', '/users', '201'], ['orders.placeOrder', '/orders', '201'], ['tasks.queueTask', '/async_task', '202']]) {
    const operation = doc.paths[path].post
    t.equal(operation.operationId, name)
    t.match(operation.responses[status].headers, { Location: { schema: { type: 'string' } } }, `${name}: ${status} declares Location`)
  }
  t.equal(doc.paths['/users'].post.responses['201'].description, 'Created: Register a user')
})

t.test('with SERVICE_SECRET set, module operations require the service token and declare 401 (and no 429)', async (t) => {
  const app = await buildTestApp(t, { env: { SERVICE_SECRET: 'a-secret-of-enough-length-for-tests' } })
  const doc: Doc = (await app.inject('/docs/json')).json()
  for (const { name, operation } of operations(doc)) {
    if (name.includes(' /health')) {
      t.same(operation.security, [], `${name}: open to probes`)
      continue
    }
    t.same(operation.security, [{ serviceToken: [] }], `${name}: needs the service token`)
    t.ok(problemStatuses(operation).includes('401'), `${name}: declares 401`)
    t.notOk(operation.responses['429'], `${name}: a signed call is never rate limited`)
  }
})

t.test('Redocly CLI (recommended rules) finds no error in the document', async (t) => {
  const envs: Array<Record<string, string>> = [{}, { SERVICE_SECRET: 'a-secret-of-enough-length-for-tests' }]
  for (const env of envs) {
    const app = await buildTestApp(t, { env })
    const result = await redoclyLint(t, (await app.inject('/docs/json')).json())
    t.same(lintErrors(result), [], `no errors ${Object.keys(env).length > 0 ? 'with' : 'without'} SERVICE_SECRET (${result.totals.warnings} warnings)`)
  }
})
