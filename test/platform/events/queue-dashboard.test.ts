import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildTestApp, tempDir } from '../../helpers/app.js'
import { browserMissing, launchBrowser } from '../../helpers/browser.js'
import { startProcess } from '../../helpers/process.js'
import { startRedis } from '../../helpers/redis.js'
import { until } from '../../helpers/until.js'

interface BoardJob { id: string, name: string, data: { name: string, payload: { email: string } } }
interface BoardQueue { name: string, counts: Record<string, number>, jobs: BoardJob[] }

const completedNotifications = '/admin/queues/api/queues?activeQueue=events-notifications&status=completed&page=1'
const ada = { name: 'Ada', email: 'ada@example.com' }
const token = 'dashboard-token-0123456789'
const admin = { authorization: `Bearer ${token}` }

async function redisEnv (t: Test) {
  const redis = await startRedis(t)
  return { REDIS_URL: redis.url, REDIS_PREFIX: `cleave-test-${randomUUID()}:`, ADMIN_TOKEN: token }
}

function notificationsQueue (body: { queues: BoardQueue[] }): BoardQueue | undefined {
  return body.queues.find((queue) => queue.name === 'events-notifications')
}

t.test('with Redis: Bull Board lists the event queues and their jobs at /admin/queues', async (t) => {
  const app = await buildTestApp(t, { env: await redisEnv(t) })
  t.equal((await app.inject({ method: 'POST', url: '/users', payload: ada })).statusCode, 201)

  const queue = await until(async () => {
    const found = notificationsQueue((await app.inject({ url: completedNotifications, headers: admin })).json())
    return found?.jobs.length ? found : undefined
  }, { what: 'the welcome job completed' })
  t.equal(queue.counts.completed, 1)
  const listed = ((await app.inject({ url: '/admin/queues/api/queues', headers: admin })).json() as { queues: BoardQueue[] }).queues.map(({ name }) => name)
  t.same(listed.sort(), app.events.queues().map(({ name }) => name).sort(), 'every Cleave queue is on the board')
  t.match(queue.jobs, [{ name: 'user.created', data: { name: 'user.created', payload: ada } }])

  const page = await app.inject({ url: '/admin/queues', headers: admin })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.body, '<base href="/admin/queues/" />', 'assets and API resolve under the base path')
  t.notMatch(page.body, /(?:href|src)="(?:https?:)?\/\//, 'the page references no other host (no web-font link)')
  const policy = String(page.headers['content-security-policy'])
  t.notMatch(policy, /https:|\*/, `its Content-Security-Policy allows no other host: ${policy}`)
  t.match(policy, /font-src 'self'/)
  const script = /src="(static\/js\/[^"]+\.js)"/.exec(page.body)?.[1]
  t.ok(script, 'the page loads its bundle')
  const asset = await app.inject({ url: `/admin/queues/${script}`, headers: admin })
  t.equal(asset.statusCode, 200)
  t.match(asset.headers['content-type'], /javascript/)
  t.equal((await app.inject({ url: '/admin/queues/queue/events-notifications', headers: admin })).statusCode, 200, 'a deep link serves the page')

  t.equal((await app.inject({ method: 'PUT', url: '/admin/queues/api/queues/events-notifications/pause', headers: admin })).statusCode, 200, 'actions work without a body')
  t.equal((await app.inject({ method: 'PUT', url: '/admin/queues/api/queues/events-notifications/resume', headers: admin })).statusCode, 200)

  const paths = Object.keys((await app.inject('/docs/json')).json().paths)
  t.ok(paths.includes('/users'))
  t.same(paths.filter((path) => path.startsWith('/admin')), [], 'the OpenAPI document does not list the dashboard')

  for (const url of ['/admin/queues/static/missing.js', '/nope', '/users/999']) {
    const res = await app.inject({ url, headers: admin })
    t.equal(res.statusCode, 404, url)
    t.match(res.headers['content-type'], /^application\/problem\+json/, `${url} is still problem+json`)
  }
})

t.test('without Redis, or without ADMIN_TOKEN: /admin/queues is an unknown route', async (t) => {
  const { ADMIN_TOKEN: _, ...withoutToken } = await redisEnv(t)
  for (const env of [{ ADMIN_TOKEN: token }, withoutToken]) {
    const app = await buildTestApp(t, { env })
    for (const url of ['/admin/queues', '/admin/queues/api/queues']) {
      const res = await app.inject({ url, headers: admin })
      t.equal(res.statusCode, 404, url)
      t.match(res.headers['content-type'], /^application\/problem\+json/)
      t.match(res.json(), { code: 'CLV_ROUTE_NOT_FOUND', instance: url })
    }
  }
})

t.test('without the admin token: 401 with a challenge a browser answers with a login prompt', async (t) => {
  const app = await buildTestApp(t, { env: await redisEnv(t) })
  const wrong = `Basic ${Buffer.from('admin:not-the-token-at-all').toString('base64')}`
  for (const url of ['/admin/queues', '/admin/queues/api/queues', '/admin/queues/static/missing.js']) {
    for (const headers of [{}, { authorization: wrong }]) {
      const res = await app.inject({ url, headers })
      t.equal(res.statusCode, 401, url)
      t.same(res.headers['www-authenticate'], ['Bearer realm="cleave admin"', 'Basic realm="cleave admin"'])
      t.match(res.json(), { code: 'CLV_ADMIN_UNAUTHORIZED' })
    }
  }
  const basic = `Basic ${Buffer.from(`admin:${token}`).toString('base64')}`
  t.equal((await app.inject({ url: '/admin/queues/api/queues', headers: { authorization: basic } })).statusCode, 200, 'HTTP Basic with the token as password')
})

t.test('in a browser: the dashboard shows the queues and the completed welcome job', { skip: browserMissing() }, async (t) => {
  const browser = await launchBrowser(t)
  const server = await startProcess(t, 'server', { ...await redisEnv(t), DATA_DIR: tempDir(t), LOG_LEVEL: 'warn' })
  await fetch(`${server.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ada) })
  const { queues } = await until(async () => {
    const body = await (await fetch(`${server.url}${completedNotifications}`, { headers: admin })).json() as { queues: BoardQueue[] }
    return notificationsQueue(body)?.jobs.length ? body : undefined
  }, { what: 'the welcome job completed' })
  const [job] = notificationsQueue({ queues })!.jobs

  const anonymous = await fetch(`${server.url}/admin/queues`)
  t.equal(anonymous.status, 401, 'no credentials, no dashboard')
  // Headless Chromium cannot show the login prompt the challenge asks for, so it fails the load.
  const prompted = await browser.newPage()
  await t.rejects(prompted.goto(`${server.url}/admin/queues`), /ERR_INVALID_AUTH_CREDENTIALS/, 'the browser is asked for credentials')
  await prompted.close()

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, httpCredentials: { username: 'admin', password: token } })
  const failures: string[] = []
  const elsewhere: string[] = []
  const refused: string[] = []
  // An admin page calls no other host: every request it makes, fonts included, is to this server.
  page.on('request', (req) => { if (new URL(req.url()).origin !== server.url && !req.url().startsWith('data:')) elsewhere.push(`${req.resourceType()} ${req.url()}`) })
  page.on('response', (res) => { if (res.status() >= 400) failures.push(`${res.status()} ${res.url()}`) })
  page.on('requestfailed', (req) => failures.push(`${req.failure()?.errorText} ${req.url()}`))
  page.on('console', (message) => { if (/Content Security Policy|Refused to/.test(message.text())) refused.push(message.text()) })
  await page.goto(`${server.url}/admin/queues`)
  const link = page.getByRole('link', { name: 'events-notifications' }).first()
  await link.waitFor({ timeout: 15_000 })
  const screenshot = join(tempDir(t), 'bull-board.png')
  for (const { name } of queues) t.ok(await page.getByRole('link', { name }).first().isVisible(), `${name} is on the page`)
  await page.screenshot({ path: screenshot })
  copyFileSync(screenshot, '/tmp/bull-board.png')

  await link.click()
  await page.waitForURL(/\/admin\/queues\/queue\/events-notifications/)
  await page.getByRole('link', { name: /completed/i }).first().click()
  await page.waitForURL(/status=completed/)
  await page.getByText(job.id, { exact: true }).waitFor({ timeout: 10_000 })
  const text = await page.locator('body').innerText()
  t.match(text, 'user.created')
  t.match(text, 'ada@example.com')
  await page.screenshot({ path: join(tempDir(t), 'bull-board-completed.png') })
  t.same(failures, [], 'every asset and API call under /admin/queues answered')
  t.same(elsewhere, [], 'no request left for another host')
  t.same(refused, [], 'nothing the page needs is refused by its Content-Security-Policy')
})
