import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildTestApp, tempDir } from '../helpers/app.js'
import { browserMissing, launchBrowser } from '../helpers/browser.js'
import { startProcess } from '../helpers/process.js'
import { startRedis } from '../helpers/redis.js'

interface BoardJob { id: string, name: string, data: { name: string, payload: { email: string } } }
interface BoardQueue { name: string, counts: Record<string, number>, jobs: BoardJob[] }

const completedNotifications = '/admin/queues/api/queues?activeQueue=events-notifications&status=completed&page=1'
const ada = { name: 'Ada', email: 'ada@example.com' }

async function redisEnv (t: Test) {
  const redis = await startRedis(t)
  return { REDIS_URL: redis.url, REDIS_PREFIX: `cleave-test-${randomUUID()}:` }
}

async function poll<T> (what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(50)) {
    const value = await probe()
    if (value !== undefined) return value
  }
  throw new Error(`timed out waiting for ${what}`)
}

function notificationsQueue (body: { queues: BoardQueue[] }): BoardQueue | undefined {
  return body.queues.find((queue) => queue.name === 'events-notifications')
}

t.test('with Redis: Bull Board lists the event queues and their jobs at /admin/queues', async (t) => {
  const app = await buildTestApp(t, { env: await redisEnv(t) })
  t.equal((await app.inject({ method: 'POST', url: '/users', payload: ada })).statusCode, 201)

  const queue = await poll('the welcome job to complete', async () => {
    const found = notificationsQueue((await app.inject(completedNotifications)).json())
    return found?.jobs.length ? found : undefined
  })
  t.equal(queue.counts.completed, 1)
  const listed = ((await app.inject('/admin/queues/api/queues')).json() as { queues: BoardQueue[] }).queues.map(({ name }) => name)
  t.same(listed.sort(), app.events.queues().map(({ name }) => name).sort(), 'every Cleave queue is on the board')
  t.match(queue.jobs, [{ name: 'user.created', data: { name: 'user.created', payload: ada } }])

  const page = await app.inject('/admin/queues')
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.body, '<base href="/admin/queues/" />', 'assets and API resolve under the base path')
  const script = /src="(static\/js\/[^"]+\.js)"/.exec(page.body)?.[1]
  t.ok(script, 'the page loads its bundle')
  const asset = await app.inject(`/admin/queues/${script}`)
  t.equal(asset.statusCode, 200)
  t.match(asset.headers['content-type'], /javascript/)
  t.equal((await app.inject('/admin/queues/queue/events-notifications')).statusCode, 200, 'a deep link serves the page')

  t.equal((await app.inject({ method: 'PUT', url: '/admin/queues/api/queues/events-notifications/pause' })).statusCode, 200, 'actions work without a body')
  t.equal((await app.inject({ method: 'PUT', url: '/admin/queues/api/queues/events-notifications/resume' })).statusCode, 200)

  const paths = Object.keys((await app.inject('/docs/json')).json().paths)
  t.ok(paths.includes('/users'))
  t.same(paths.filter((path) => path.startsWith('/admin')), [], 'the OpenAPI document does not list the dashboard')

  for (const url of ['/admin/queues/static/missing.js', '/nope', '/users/999']) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 404, url)
    t.match(res.headers['content-type'], /^application\/problem\+json/, `${url} is still problem+json`)
  }
})

t.test('without Redis: /admin/queues is an unknown route', async (t) => {
  const app = await buildTestApp(t)
  for (const url of ['/admin/queues', '/admin/queues/api/queues']) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 404, url)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(res.json(), { code: 'CLV_ROUTE_NOT_FOUND', instance: url })
  }
})

t.test('in a browser: the dashboard shows the queues and the completed welcome job', { skip: browserMissing() }, async (t) => {
  const browser = await launchBrowser(t)
  const server = await startProcess(t, 'server', { ...await redisEnv(t), DATA_DIR: tempDir(t), LOG_LEVEL: 'warn' })
  await fetch(`${server.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ada) })
  const { queues } = await poll('the welcome job to complete', async () => {
    const body = await (await fetch(`${server.url}${completedNotifications}`)).json() as { queues: BoardQueue[] }
    return notificationsQueue(body)?.jobs.length ? body : undefined
  })
  const [job] = notificationsQueue({ queues })!.jobs

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  const failures: string[] = []
  // The page also asks fonts.googleapis.com for its fonts; only this server's answers count.
  page.on('response', (res) => { if (res.url().startsWith(server.url) && res.status() >= 400) failures.push(`${res.status()} ${res.url()}`) })
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
})
