import t from 'tap'
import type { TSchema } from '@sinclair/typebox'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { isDeepStrictEqual } from 'node:util'
import type { OpenApiDocument } from '../src/platform/primitives/openapi-document.js'
import { contractsDir, currentDocuments, serialize, snapshotFile } from '../scripts/contracts/document.js'
import { diffDocuments, type Change } from '../scripts/contracts/diff.js'
import { registry } from './helpers/modules.js'

const update = 'npm run contracts:update'

// A small API with one of everything the differ looks at; each case below changes one thing.
function baseDocument (): OpenApiDocument {
  const problem = { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } }
  return {
    openapi: '3.0.3',
    info: { title: 'test', version: '1' },
    components: { schemas: { Problem: { type: 'object', required: ['type', 'status'], properties: { type: { type: 'string' }, status: { type: 'integer' } } } } },
    paths: {
      '/users': {
        post: {
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['name'],
                  properties: {
                    name: { type: 'string', minLength: 1, maxLength: 50, pattern: '\\S' },
                    role: { anyOf: [{ type: 'string', enum: ['admin'] }, { type: 'string', enum: ['member'] }] },
                    age: { type: 'integer', minimum: 0, maximum: 150, nullable: true },
                    nickname: { type: 'string' }
                  }
                }
              }
            }
          },
          responses: {
            201: {
              description: 'created',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['id', 'email', 'kind'],
                    properties: {
                      id: { type: 'integer' },
                      email: { type: 'string', maxLength: 254 },
                      kind: { type: 'string', enum: ['person', 'robot'] },
                      tags: { type: 'array', items: { type: 'string' } },
                      note: { type: 'string' }
                    }
                  }
                }
              }
            },
            409: problem
          }
        },
        get: {
          parameters: [
            { in: 'query', name: 'limit', required: true, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
            { in: 'query', name: 'after', required: false, schema: { type: 'integer' } }
          ],
          responses: { 200: { description: 'list', content: { 'application/json': { schema: { type: 'array', items: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] } } } } } }
        }
      },
      '/users/{id}': {
        get: {
          parameters: [{ in: 'path', name: 'id', required: true, schema: { type: 'integer', minimum: 1 } }],
          responses: { 200: { description: 'one', content: { 'application/json': { schema: { type: 'object', properties: { id: { type: 'integer' } } } } } }, 404: problem }
        }
      }
    }
  }
}

type Doc = any
function changed (edit: (doc: Doc) => void): Change[] {
  const after = baseDocument()
  edit(after)
  return diffDocuments(baseDocument(), after)
}

const postBody = (doc: Doc) => doc.paths['/users'].post.requestBody.content['application/json'].schema
const created = (doc: Doc) => doc.paths['/users'].post.responses[201].content['application/json'].schema

const breaking: Array<[string, (doc: Doc) => void, string]> = [
  ['removed operation', (doc) => { delete doc.paths['/users/{id}'] }, 'GET /users/{id}: operation removed'],
  ['removed response field', (doc) => { delete created(doc).properties.email; created(doc).required = ['id', 'kind'] }, 'POST /users response 201: field email removed'],
  ['removed optional response field', (doc) => { delete created(doc).properties.note }, 'POST /users response 201: field note removed'],
  ['response field becoming optional', (doc) => { created(doc).required = ['id', 'kind'] }, 'POST /users response 201: field email became optional'],
  ['response type changed', (doc) => { created(doc).properties.id = { type: 'string' } }, 'POST /users response 201: field id type changed from integer to string'],
  ['response enum widened', (doc) => { created(doc).properties.kind.enum.push('alien') }, 'POST /users response 201: field kind enum values added: ["alien"]'],
  ['response bound loosened', (doc) => { delete created(doc).properties.email.maxLength }, 'POST /users response 201: field email maxLength 254 → none'],
  ['nested response field removed', (doc) => { created(doc).properties.tags.items = { type: 'integer' } }, 'POST /users response 201: field tags[] type changed from string to integer'],
  ['input type narrowed', (doc) => { postBody(doc).properties.nickname.type = 'integer' }, 'POST /users body: field nickname type changed from string to integer'],
  ['input enum value removed', (doc) => { postBody(doc).properties.role.anyOf.pop() }, 'POST /users body: field role enum values removed: ["member"]'],
  ['input string length tightened', (doc) => { postBody(doc).properties.name.maxLength = 20 }, 'POST /users body: field name maxLength 50 → 20'],
  ['input format added', (doc) => { postBody(doc).properties.nickname.format = 'email' }, 'POST /users body: field nickname format none → "email"'],
  ['input pattern changed', (doc) => { postBody(doc).properties.name.pattern = '^[a-z]+$' }, 'POST /users body: field name pattern "\\\\S" → "^[a-z]+$" (neither accepts all the other does)'],
  ['input number bound tightened', (doc) => { postBody(doc).properties.age.minimum = 18 }, 'POST /users body: field age minimum 0 → 18'],
  ['input nullable removed', (doc) => { delete postBody(doc).properties.age.nullable }, 'POST /users body: field age nullable removed'],
  ['new required body field', (doc) => { postBody(doc).properties.email = { type: 'string' }; postBody(doc).required.push('email') }, 'POST /users body: field email added as required'],
  ['optional body field becoming required', (doc) => { postBody(doc).required.push('nickname') }, 'POST /users body: field nickname became required'],
  ['new required query parameter', (doc) => { doc.paths['/users'].get.parameters.push({ in: 'query', name: 'team', required: true, schema: { type: 'string' } }) }, 'GET /users: query parameter team added as required'],
  ['new required header', (doc) => { doc.paths['/users'].get.parameters.push({ in: 'header', name: 'x-tenant', required: true, schema: { type: 'string' } }) }, 'GET /users: header parameter x-tenant added as required'],
  ['query parameter narrowed', (doc) => { doc.paths['/users'].get.parameters[0].schema.maximum = 10 }, 'GET /users: query parameter limit maximum 100 → 10'],
  ['input field removed from a closed object', (doc) => { delete postBody(doc).properties.nickname; postBody(doc).additionalProperties = false }, 'POST /users body: field nickname removed, and unknown fields are refused: clients sending it get 400'],
  ['changed success status', (doc) => { const post = doc.paths['/users'].post; post.responses[200] = post.responses[201]; delete post.responses[201] }, 'POST /users: success status changed from 201 to 200'],
  ['new required body', (doc) => { doc.paths['/users/{id}'].get.requestBody = { required: true, content: { 'application/json': { schema: { type: 'object' } } } } }, 'GET /users/{id} body: added as required'],
  ['body media type dropped', (doc) => { const body = doc.paths['/users'].post.requestBody; body.content = { 'application/xml': body.content['application/json'] } }, 'POST /users body: application/json no longer accepted'],
  ['shared component narrowed', (doc) => { doc.components.schemas.Problem.properties.status.type = 'string' }, 'POST /users response 409: field status type changed from integer to string'],
  ['unknown keyword changed', (doc) => { postBody(doc).properties.nickname.uniqueItems = true }, 'POST /users body: field nickname uniqueItems changed']
]

const compatible: Array<[string, (doc: Doc) => void, string]> = [
  ['new route', (doc) => { doc.paths['/teams'] = { get: { responses: { 200: { description: 'teams' } } } } }, 'GET /teams: operation added'],
  ['new operation on a known path', (doc) => { doc.paths['/users/{id}'].delete = { responses: { 204: { description: 'gone' } } } }, 'DELETE /users/{id}: operation added'],
  ['new optional body field', (doc) => { postBody(doc).properties.bio = { type: 'string' } }, 'POST /users body: field bio added (optional)'],
  ['new optional query parameter', (doc) => { doc.paths['/users'].get.parameters.push({ in: 'query', name: 'q', required: false, schema: { type: 'string' } }) }, 'GET /users: query parameter q added (optional)'],
  ['new required parameter with a default', (doc) => { doc.paths['/users'].get.parameters.push({ in: 'query', name: 'order', required: true, schema: { type: 'string', default: 'id' } }) }, 'GET /users: query parameter order added (optional)'],
  ['new response field', (doc) => { created(doc).properties.createdAt = { type: 'string' } }, 'POST /users response 201: field createdAt added'],
  ['input type widened', (doc) => { postBody(doc).properties.age.type = 'number' }, 'POST /users body: field age type changed from integer | null to number | null'],
  ['input enum value added', (doc) => { postBody(doc).properties.role.anyOf.push({ type: 'string', enum: ['guest'] }) }, 'POST /users body: field role enum values added: ["guest"]'],
  ['input bound loosened', (doc) => { postBody(doc).properties.name.maxLength = 100 }, 'POST /users body: field name maxLength 50 → 100'],
  ['input became nullable', (doc) => { postBody(doc).properties.nickname.nullable = true }, 'POST /users body: field nickname became nullable'],
  ['required input field became optional', (doc) => { postBody(doc).required = [] }, 'POST /users body: field name became optional'],
  ['input field removed from an open object', (doc) => { delete postBody(doc).properties.nickname }, 'POST /users body: field nickname removed (now ignored)'],
  ['response bound tightened', (doc) => { created(doc).properties.email.maxLength = 100 }, 'POST /users response 201: field email maxLength 254 → 100'],
  ['new error response', (doc) => { doc.paths['/users'].get.responses[400] = { description: 'bad' } }, 'GET /users response 400: added']
]

t.test('the differ calls each kind of breaking change breaking', async (t) => {
  for (const [name, edit, expected] of breaking) {
    const changes = changed(edit)
    t.ok(changes.some((change) => change.breaking && change.message === expected), name, { found: changes, expected })
  }
})

t.test('the differ calls each compatible change compatible, and still reports it', async (t) => {
  for (const [name, edit, expected] of compatible) {
    const changes = changed(edit)
    t.same(changes, [{ breaking: false, message: expected }], name)
  }
})

t.test('the differ reports nothing for an unchanged document, or one whose descriptions changed', async (t) => {
  t.same(diffDocuments(baseDocument(), baseDocument()), [])
  t.same(changed((doc) => { postBody(doc).properties.name.description = 'the name' }), [])
})

// The published contracts (contracts/*.json) against what the code serves now.
t.test('every module\'s served API keeps its published contract', async (t) => {
  const documents = await currentDocuments()
  for (const [module, current] of documents) {
    const file = snapshotFile(module)
    if (!existsSync(file)) {
      t.fail(`${module}: no published contract at contracts/${module}.json; run \`${update}\` to publish it`)
      continue
    }
    const published = JSON.parse(readFileSync(file, 'utf8')) as OpenApiDocument
    const changes = diffDocuments(published, current)
    const breaks = changes.filter((change) => change.breaking)
    if (breaks.length > 0) {
      t.fail(`${module}: the API no longer keeps its published contract:\n${breaks.map((change) => `  ${module}: ${change.message}`).join('\n')}\n` +
        `Clients of ${module} would break. If that is intended, run \`${update}\` and commit contracts/${module}.json with the change.`)
    } else if (!isDeepStrictEqual(published, current) || readFileSync(file, 'utf8') !== serialize(current)) {
      const list = changes.length > 0 ? changes.map((change) => `  ${module}: ${change.message}`).join('\n') : '  descriptions or formatting only'
      t.fail(`${module}: contracts/${module}.json is stale (compatible changes):\n${list}\nRun \`${update}\` and commit it.`)
    } else {
      t.pass(`${module} matches contracts/${module}.json`)
    }
  }
  for (const name of readdirSync(contractsDir).filter((file) => file.endsWith('.json'))) {
    const module = name.slice(0, -'.json'.length)
    if (!documents.has(module)) t.fail(`${module}: contracts/${name} is published but no module serves it any more (every route removed); run \`${update}\` if that is intended`)
  }
})

// Routes, clients and events compile their checks and serializers on first use
// (compile-on-first-use.ts), so a schema Ajv or fast-json-stringify refuses would only fail at
// its first request: every one is compiled here, from the route options Fastify is given.
t.test('every contract\'s schemas compile: route inputs and answers, client checks, event payloads', async (t) => {
  const { SerializerSelector } = await import('@fastify/fast-json-stringify-compiler')
  const { buildValidator, compileAnswer, compileExact } = await import('../src/platform/http/validation.js')
  const { operationRoute } = await import('../src/platform/contracts/operation-routes.js')
  const { successStatus } = await import('../src/platform/contracts/define-contract.js')
  const { Problem } = await import('../src/platform/primitives/problem.js')
  const shared = { [Problem.$id as string]: Problem }
  const validatorFor = buildValidator!(shared, {})
  // serialization.ts defers exactly this compiler's work; called here, it compiles at once.
  const serializerFor = SerializerSelector()(shared, {})
  let compiled = 0
  const compile = (what: string, run: () => unknown) => {
    try { run(); compiled++ } catch (error) { t.fail(`${what}: ${(error as Error).message}`) }
  }
  for (const contract of registry.contracts.values()) {
    for (const [name, route] of Object.entries(contract.routes)) {
      const { method, url, schema } = operationRoute(contract, name, route, { serviceAuth: true, bodyLimit: 1024 })
      const parts = schema as Record<string, TSchema | undefined> & { response: Record<string, TSchema | { content: Record<string, { schema: TSchema }> }> }
      for (const httpPart of ['params', 'querystring', 'body'] as const) {
        const part = parts[httpPart]
        if (part) compile(`${contract.module}.${name} ${httpPart}`, () => validatorFor({ schema: part, method: String(method), url, httpPart })(undefined))
      }
      for (const [status, response] of Object.entries(parts.response)) {
        const content = (response as { content?: Record<string, { schema: TSchema }> }).content
        const answers = content ? Object.values(content).map((entry) => entry.schema) : [response as TSchema]
        for (const answer of answers) compile(`${contract.module}.${name} ${status} serializer`, () => serializerFor({ schema: answer, method: String(method), url, httpStatus: status }))
      }
      // What a client checks a remote answer with.
      const success = route.schema.response[successStatus(route)]
      const answer = success && 'content' in success ? success.content['application/json']?.schema : success
      if (answer) compile(`${contract.module}.${name} client check`, () => compileAnswer(answer)(undefined))
    }
    for (const [event, payload] of Object.entries(contract.events?.publishes ?? {})) {
      compile(`${contract.module} event ${event}`, () => compileExact(payload)(undefined))
    }
  }
  t.ok(compiled > 100, `${compiled} schemas compiled`)
})
