import { existsSync } from 'node:fs'
import type { Test } from 'tap'
import { chromium, type Browser } from 'playwright-core'

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

// Debian's chromium, never a browser download. CI installs it and sets CLEAVE_REQUIRE_BROWSER=1,
// so there a missing browser fails instead of skipping.
export function browserMissing (): string | false {
  if (existsSync(chromiumPath) || process.env.CLEAVE_REQUIRE_BROWSER === '1') return false
  return `no browser at ${chromiumPath}: apt-get install chromium to run the page checks`
}

export async function launchBrowser (t: Test): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  t.teardown(() => browser.close())
  return browser
}
