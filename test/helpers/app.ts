import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { buildApp } from '../../src/platform/app/build-app.js'
import { loadConfig } from '../../src/platform/config/config.js'
import { databaseEnv } from './database.js'
import { registry } from './modules.js'

export function tempDir (t: Test, prefix = 'cleave-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

// The one way tests build the app: real SQLite in a temp dir (or, in the dialect matrix's PostgreSQL run, a
// database of the test's own), closed when the test ends.
export async function buildTestApp (t: Test, { modules, env = {} }: { modules?: string[], env?: Record<string, string> } = {}) {
  const config = loadConfig({ DATA_DIR: tempDir(t), LOG_LEVEL: 'silent', ...await databaseEnv(t), ...env }, registry)
  const app = await buildApp(config, registry, { modules })
  t.teardown(() => app.close())
  return app
}
