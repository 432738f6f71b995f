import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('live answers while the process runs', async (t) => {
  const app = await buildTestApp(t, { modules: [] })
  const res = await app.inject('/health/live')
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'ok' })
})

t.test('ready checks every open database', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'] })
  const ok = await app.inject('/health/ready')
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { status: 'ok', checks: { 'users-db': 'ok' } })

  app.databases.open('users').$client.close()
  const down = await app.inject('/health/ready')
  t.equal(down.statusCode, 503)
  t.match(down.headers['content-type'], /^application\/problem\+json/)
  t.match(down.json(), { code: 'CLV_NOT_READY', detail: 'Not ready: users-db', checks: { 'users-db': /not open/ } })
})
