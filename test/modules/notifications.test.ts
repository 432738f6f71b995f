// dialects: sqlite postgres
// The notifications module on its own terms: a message for each event it subscribes to, written
// once per event, and its listing. The event paths themselves are the platform's (test/platform/events).
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { until } from '../helpers/until.js'

type App = Awaited<ReturnType<typeof buildTestApp>>
interface Note { id: number, userId: number, kind: string, message: string, eventId: string, createdAt: string }

function post (app: App, url: string, body: unknown) {
  return app.inject({ method: 'POST', url, payload: body as object })
}

async function notes (app: App, query = ''): Promise<Note[]> {
  const res = await app.inject(`/notifications${query}`)
  if (res.statusCode !== 200) throw new Error(`GET /notifications${query}: ${res.statusCode} ${res.body}`)
  return res.json()
}

t.test('a welcome for each user created and a confirmation for each order, each naming its event', async (t) => {
  const app = await buildTestApp(t, { modules: ['users', 'orders', 'notifications'] })
  // A name at the edge of what users takes: quotes, an emoji, 50 characters; the message keeps it as sent.
  const name = `"O'Brien" 🚀 ${'x'.repeat(38)}`
  t.equal([...name].length, 50, 'fifty characters (code points, as the schema counts them)')
  t.equal((await post(app, '/users', { name, email: 'ob@example.com' })).statusCode, 201)
  t.equal((await post(app, '/users', { name: 'Bob', email: 'bob@example.com' })).statusCode, 201)
  t.equal((await post(app, '/orders', { userId: 2, items: [{ sku: 'book', qty: 1 }] })).statusCode, 201)
  await until(async () => (await notes(app)).length === 3, { what: 'three notifications' })

  const all = await notes(app)
  t.same(all.map(({ userId, kind, message }) => ({ userId, kind, message })), [
    { userId: 1, kind: 'welcome', message: `Welcome, ${name}!` },
    { userId: 2, kind: 'welcome', message: 'Welcome, Bob!' },
    { userId: 2, kind: 'order-confirmation', message: 'Order #1 confirmed: 1 item' }
  ])
  t.equal(new Set(all.map((note) => note.eventId)).size, 3, 'each from its own event')
  t.ok(all.every((note) => /^[0-9a-f-]{36}$/.test(note.eventId)), 'event ids are the outbox ids')
  t.ok(all.every((note) => !Number.isNaN(Date.parse(note.createdAt))), 'createdAt is an ISO date')
})

t.test('GET /notifications pages in id order, of one user or of all, and refuses bad queries by name', async (t) => {
  const app = await buildTestApp(t, { modules: ['users', 'notifications'] })
  for (const n of [1, 2, 3, 4]) t.equal((await post(app, '/users', { name: `User ${n}`, email: `u${n}@example.com` })).statusCode, 201)
  await until(async () => (await notes(app)).length === 4, { what: 'four welcomes' })
  // Handlers may run concurrently (PostgreSQL), so a message's id need not follow its user's.
  const ids = async (query: string) => (await notes(app, query)).map((note) => note.id)
  const all = await ids('')
  t.same([...all].sort((a, b) => a - b), all, 'in id order')
  t.same(await ids('?limit=2'), all.slice(0, 2))
  t.same(await ids(`?limit=2&cursor=${all[1]}`), all.slice(2, 4))
  t.same(await ids(`?cursor=${all[3]}`), [])
  t.same((await notes(app, '?userId=3')).map((note) => note.message), ['Welcome, User 3!'])
  t.same(await ids('?userId=99'), [], 'a user without messages: an empty page')

  for (const query of ['userId=0', 'userId=abc', 'limit=0', 'limit=101', 'cursor=-1', `cursor=${2 ** 53}`, 'kind=welcome']) {
    const res = await app.inject(`/notifications?${query}`)
    t.equal(res.statusCode, 400, query)
    t.equal(res.json().code, 'CLV_VALIDATION', query)
  }
})
