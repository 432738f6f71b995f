// The same requests against SQLite and PostgreSQL give the same answers, byte for byte, once the
// values that are new on every run (times, UUIDs, request ids) are masked: status, headers that
// carry data, and bodies. Numbers stay numbers on both (PostgreSQL's bigint is read as one).
import t from 'tap'
import { buildTestApp } from '../../helpers/app.js'
import { createTestDatabase } from '../../helpers/database.js'
import { until } from '../../helpers/until.js'

type App = Awaited<ReturnType<typeof buildTestApp>>
type Step = { method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object | string }

const steps: Step[] = [
  { method: 'POST', url: '/users', payload: { name: 'Ada', email: 'Ada@Example.com' } },
  { method: 'POST', url: '/users', payload: { name: 'Bob', email: 'bob@example.com' } },
  { method: 'POST', url: '/users', payload: { name: 'Ada twice', email: 'ada@example.COM' } },
  { method: 'GET', url: '/users/1' },
  { method: 'GET', url: '/users/99' },
  { method: 'GET', url: '/users?limit=1&cursor=0' },
  { method: 'PATCH', url: '/users/2', payload: { name: 'Robert' } },
  { method: 'PATCH', url: '/users/2', payload: { email: 'ADA@example.com' } },
  { method: 'POST', url: '/orders', payload: { userId: 1, items: [{ sku: 'A-1', qty: 2 }, { sku: 'B-7', qty: 1 }] } },
  { method: 'POST', url: '/orders', payload: { userId: 42, items: [{ sku: 'A-1', qty: 1 }] } },
  { method: 'GET', url: '/orders/1' },
  { method: 'GET', url: '/orders?userId=1' },
  { method: 'DELETE', url: '/users/2' },
  { method: 'DELETE', url: '/users/2' },
  { method: 'GET', url: '/users' },
  { method: 'POST', url: '/async_task', payload: { text: 'count these four words', nested: { deeper: ['and', 'two more'] } } },
  // Values at the edges of types (storable-values.ts): refused alike, or stored exactly.
  ...['Infinity', '-Infinity', 'NaN', '1e999', '1e21', '9223372036854775808'].flatMap((text): Step[] => [
    { method: 'GET', url: `/users/${text}` },
    { method: 'GET', url: `/users?limit=${text}` },
    { method: 'GET', url: `/users?cursor=${text}` },
    { method: 'GET', url: `/orders?userId=${text}` }
  ]),
  { method: 'POST', url: '/users', payload: '{"name":"A\\u0000B","email":"nul@example.com"}' },
  { method: 'PATCH', url: '/users/1', payload: '{"name":"S\\ud800X"}' },
  { method: 'POST', url: '/orders', payload: '{"userId":1e999,"items":[{"sku":"A-1","qty":1}]}' },
  { method: 'PATCH', url: '/users/1', payload: { name: 'Ada 👩‍🔬 𝕏' } },
  { method: 'GET', url: '/users/1' }
]

const masks: Array<[RegExp, string]> = [
  [/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<time>'],
  [/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>']
]

function masked (text: string): string {
  return masks.reduce((value, [pattern, replacement]) => value.replace(pattern, replacement), text)
}

async function transcript (app: App): Promise<string[]> {
  const lines: string[] = []
  const record = (label: string, res: { statusCode: number, headers: Record<string, unknown>, payload: string }) => {
    lines.push(masked(`${label} → ${res.statusCode} ${res.headers['content-type']} ${res.headers.location ?? ''} ${res.payload}`))
  }
  let taskUrl = ''
  for (const step of steps) {
    const json = typeof step.payload === 'string' ? { 'content-type': 'application/json' } : {}
    const res = await app.inject({ method: step.method, url: step.url, headers: json, ...(step.payload && { payload: step.payload }) })
    if (step.url === '/async_task') taskUrl = res.headers.location as string
    record(`${step.method} ${step.url}`, res)
  }
  await until(async () => (await app.inject(taskUrl)).json().state === 'completed', { what: 'the task done' })
  record('GET /tasks/:id', await app.inject(taskUrl))
  await until(async () => (await app.inject('/notifications')).json().length === 3, { what: 'two welcomes and an order confirmation' })
  record('GET /notifications', await app.inject('/notifications?limit=10'))
  return lines
}

t.test('every answer is the same on SQLite and on PostgreSQL', async (t) => {
  const sqlite = await buildTestApp(t)
  const postgres = await buildTestApp(t, { env: { DATABASE_URL: await createTestDatabase(t) } })
  t.equal(sqlite.databases.get('users')?.dialect, 'sqlite')
  t.equal(postgres.databases.get('users')?.dialect, 'postgres')
  const [onSqlite, onPostgres] = [await transcript(sqlite), await transcript(postgres)]
  t.equal(onSqlite.length, steps.length + 2)
  for (const [i, line] of onSqlite.entries()) t.equal(onPostgres[i], line, line.slice(0, 60))
})
