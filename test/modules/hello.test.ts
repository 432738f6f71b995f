import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('GET /service greets in plain text', async (t) => {
  const app = await buildTestApp(t, { modules: ['hello'] })
  const res = await app.inject('/service')
  t.equal(res.statusCode, 200)
  t.equal(res.body, 'Hello, Microservice!')
  t.match(res.headers['content-type'], /^text\/plain/)
})

t.test('hello is absent when not selected', async (t) => {
  const app = await buildTestApp(t, { modules: ['users'] })
  const res = await app.inject('/service')
  t.equal(res.statusCode, 404)
  t.equal(res.json().code, 'CLV_ROUTE_NOT_FOUND')
})
