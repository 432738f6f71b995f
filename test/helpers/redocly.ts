// Redocly CLI's lint (its recommended ruleset) over a served OpenAPI document. A pinned dev
// dependency, so CI's npm ci installs it and no test downloads anything. Telemetry and the update check are off.
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Test } from 'tap'
import { tempDir } from './app.js'
import { projectRoot } from './process.js'

const redocly = join(projectRoot, 'node_modules', '.bin', 'redocly')

export interface LintProblem { ruleId: string, severity: 'error' | 'warn', message: string, location: Array<{ pointer: string }> }
export interface LintResult { totals: { errors: number, warnings: number }, problems: LintProblem[] }

export async function redoclyLint (t: Test, document: unknown): Promise<LintResult> {
  const file = join(tempDir(t, 'cleave-redocly-'), 'openapi.json')
  writeFileSync(file, JSON.stringify(document))
  const run = promisify(execFile)(redocly, ['lint', '--format=json', file], {
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    maxBuffer: 16 * 1024 * 1024
  })
  // It exits 1 when it finds errors; the report on stdout is what counts.
  const { stdout } = await run.catch((error: { stdout?: string }) => {
    if (!error.stdout) throw error
    return { stdout: error.stdout }
  })
  return JSON.parse(stdout) as LintResult
}

/** Errors as "rule at pointer: message", for a test's diagnostics. */
export function lintErrors (result: LintResult): string[] {
  return result.problems.filter((problem) => problem.severity === 'error').map((problem) => `${problem.ruleId} at ${problem.location[0]?.pointer}: ${problem.message}`)
}
