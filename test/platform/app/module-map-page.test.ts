// GET /docs/map and /docs/map.mmd: the module graph as the running process finds it.
import t from 'tap'
import { createServer, type Socket } from 'node:net'
import { once } from 'node:events'
import { buildGateway } from '../../../src/platform/app/build-gateway.js'
import { loadConfig } from '../../../src/platform/config/config.js'
import { buildTestApp, tempDir } from '../../helpers/app.js'
import { browserMissing, launchBrowser } from '../../helpers/browser.js'
import { registry } from '../../helpers/modules.js'
import { freePort, startProcess } from '../../helpers/process.js'

t.test('a module process: its modules here, another at its instances, then with its breaker open', async (t) => {
  const dead = `http://127.0.0.1:${await freePort()}`
  const app = await buildTestApp(t, { modules: ['orders', 'hello'], env: { SERVICE_USERS_URL: dead, CALL_RETRIES: '0', HEALTH_CHECK_INTERVAL_MS: '0', BREAKER_VOLUME_THRESHOLD: '1000', BREAKER_CONSECUTIVE_FAILURES: '2', BREAKER_RESET_MS: '60000' } })
  const source = async () => (await app.inject('/docs/map.mmd')).body.split('\n')
  const before = await source()
  t.ok(before.includes('  m_orders["orders<br/>here"]') && before.includes('  class m_orders here'), 'orders is here')
  t.ok(before.includes('  m_users["users<br/>1 of 1 in rotation"]') && before.includes('  class m_users remote'), 'users elsewhere, at its one instance')
  t.ok(before.includes('  m_tasks["tasks<br/>no instance known"]') && before.includes('  class m_tasks absent'), 'tasks nowhere this process knows')
  t.ok(before.includes('  m_orders -->|calls| m_users'), 'the graph itself is drawn')

  for (let i = 0; i < 2; i++) await t.rejects(app.clients.users.getUser({ params: { id: 1 } }))
  const after = await source()
  t.ok(after.includes('  m_users["users<br/>0 of 1 in rotation<br/>breaker open"]') && after.includes('  class m_users down'), 'users refused: out of rotation, its breaker open, in red')

  const page = await app.inject('/docs/map')
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.headers['content-security-policy'], /^default-src 'none'; style-src 'unsafe-inline'/, 'a policy that allows no request at all')
  t.match(page.body, /<figure><svg [^>]*>/, 'the drawing inline')
  t.notMatch(page.body, /@import|googleapis/, 'no web font fetched from elsewhere')
  t.match(page.body, `<tr><td>users</td><td>remote</td><td>${dead} (out of rotation)</td><td>open</td></tr>`)
  t.match(page.body, '<tr><td>shipping (external)</td><td>absent</td><td>—</td><td>—</td></tr>')
})

t.test('the gateway: nothing here, each module at its instances with the gateway\'s breaker', async (t) => {
  const users = `http://127.0.0.1:${await freePort()}`
  const gateway = await buildGateway(loadConfig({ LOG_LEVEL: 'silent', SERVICE_USERS_URL: users, HEALTH_CHECK_INTERVAL_MS: '0' }, registry), registry)
  t.teardown(() => gateway.close())
  const source = (await gateway.inject('/docs/map.mmd')).body
  t.notMatch(source, / here$/m, 'no module is here')
  t.match(source, /\n {2}m_users\["users<br\/>1 of 1 in rotation<br\/>breaker closed"\]\n/)
  t.match((await gateway.inject('/docs/map')).body, `<tr><td>users</td><td>remote</td><td>${users}</td><td>closed</td></tr>`)
})

t.test('discovery hung (Redis accepts and never answers): the page still comes, showing no instance', async (t) => {
  const sockets = new Set<Socket>()
  const hung = createServer((socket) => { sockets.add(socket) }).listen(0, '127.0.0.1')
  await once(hung, 'listening')
  t.teardown(() => { for (const socket of sockets) socket.destroy(); hung.close() })
  const { port } = hung.address() as { port: number }
  const gateway = await buildGateway(loadConfig({ LOG_LEVEL: 'silent', DISCOVERY: 'redis', REDIS_URL: `redis://127.0.0.1:${port}`, HEALTH_CHECK_INTERVAL_MS: '0' }, registry), registry)
  t.teardown(() => gateway.close())
  const started = performance.now()
  const page = await gateway.inject('/docs/map')
  const tookMs = performance.now() - started
  t.equal(page.statusCode, 200)
  t.match(page.body, '<tr><td>users</td><td>absent</td>')
  t.ok(tookMs < 5000, `answered in ${Math.round(tookMs)} ms, not held by discovery`)
})

t.test('the first drawing, which loads the renderer, holds up no other request of the process', async (t) => {
  const app = await buildTestApp(t, { modules: ['hello'] })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const finished: string[] = []
  const map = fetch(`http://127.0.0.1:${port}/docs/map`).then(async (res) => { await res.text(); finished.push('map') })
  // Asked once the page is being drawn: with the layout on this thread it would wait for it.
  await new Promise((resolve) => setTimeout(resolve, 50))
  const live = fetch(`http://127.0.0.1:${port}/health/live`).then(async (res) => { await res.text(); finished.push('live') })
  await Promise.all([map, live])
  t.same(finished, ['live', 'map'], '/health/live answered while the map was drawn')
})

t.test('a drawing the renderer refuses is an error, not a hang, and the worker draws on', async (t) => {
  const { createMermaidDrawer } = await import('../../../src/platform/app/mermaid-drawer.js')
  const drawer = createMermaidDrawer()
  t.teardown(() => drawer.close())
  await t.rejects(drawer.draw('nonsense'), /the drawing failed: .*Invalid mermaid header/)
  t.match(await drawer.draw('flowchart LR\n  a --> b'), /^<svg /, 'the next one is drawn')
})

t.test('in Chromium: the map is drawn from this origin alone, and links to its source', { skip: browserMissing() }, async (t) => {
  const browser = await launchBrowser(t)
  const server = await startProcess(t, 'server', { DATA_DIR: tempDir(t), LOG_LEVEL: 'warn' })
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } })
  const elsewhere: string[] = []
  page.on('request', (request) => { if (!request.url().startsWith(server.url)) elsewhere.push(request.url()) })
  await page.goto(`${server.url}/docs/map`)
  const drawing = page.locator('figure svg')
  await drawing.waitFor({ timeout: 15_000 })
  const box = await drawing.boundingBox()
  t.ok(box && box.width > 300 && box.height > 150, `the drawing has a size (${box?.width} × ${box?.height})`)
  // A box's label is a <text> of one <tspan> per line; an arrow's, a <text> alone.
  const lines = [...await drawing.locator('tspan').allTextContents(), ...await drawing.locator('text').allTextContents()]
  for (const module of [...registry.names, 'shipping (external)']) t.ok(lines.includes(module), `${module} is drawn`)
  t.ok(lines.includes('here') && lines.includes('order.placed') && lines.includes('calls'), 'where each is, and the arrows named')
  await page.screenshot({ path: `${tempDir(t)}/map.png`, fullPage: true })

  await page.click('text=The Mermaid source')
  await page.waitForURL(`${server.url}/docs/map.mmd`)
  t.match(await page.locator('body').innerText(), /^flowchart LR\n/, 'the link leads to the Mermaid source')
  t.same(elsewhere, [], 'no request left this origin')
})
