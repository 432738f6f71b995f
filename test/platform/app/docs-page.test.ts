import t from 'tap'
import { tempDir } from '../../helpers/app.js'
import { browserMissing, launchBrowser } from '../../helpers/browser.js'
import { startProcess } from '../../helpers/process.js'

t.test('Swagger UI lists the routes and can call one', { skip: browserMissing() }, async (t) => {
  const browser = await launchBrowser(t)
  const server = await startProcess(t, 'server', { DATA_DIR: tempDir(t), LOG_LEVEL: 'warn' })
  await fetch(`${server.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }) })

  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } })
  await page.goto(`${server.url}/docs`)
  await page.waitForSelector('.opblock-summary', { timeout: 15_000 })
  const paths = await page.locator('.opblock-summary-path').allInnerTexts()
  for (const path of ['/service', '/users', '/users/{id}', '/health/ready']) t.ok(paths.some((text) => text.replace(/\u200b/g, '') === path), `lists ${path}`)
  await page.screenshot({ path: `${tempDir(t)}/docs.png` })

  await page.locator('.opblock-get .opblock-summary-path', { hasText: '/users/{id}' }).first().click()
  await page.click('button:has-text("Try it out")')
  await page.fill('input[placeholder="id"]', '1')
  await page.click('button:has-text("Execute")')
  const status = page.locator('.live-responses-table .response .response-col_status').first()
  await status.waitFor({ timeout: 10_000 })
  t.equal((await status.innerText()).trim(), '200')
  t.match(await page.locator('.live-responses-table .response-col_description pre').first().innerText(), /"name": "Ada"/)
})
