// docs/reference/problems.md is generated from the code; an error added or changed without regenerating fails here.
import t from 'tap'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { callSites, problemsFile, problemsReference } from '../../scripts/problems-reference.js'
import { tempDir } from '../helpers/app.js'

const src = join(import.meta.dirname, '..', '..', 'src')
const reference = await problemsReference()
const hasRow = (code: string) => reference.includes(`\n| \`${code}\` |`)

t.test('docs/reference/problems.md is what the code generates', async (t) => {
  const written = existsSync(problemsFile) ? readFileSync(problemsFile, 'utf8') : ''
  t.equal(written, reference, 'docs/reference/problems.md differs from the code: run npm run docs:problems and commit the result')
})

t.test('a contract\'s errors and the gateway\'s have rows, with their status', async (t) => {
  t.match(reference, '\n| `CLV_USERS_NOT_FOUND` | 404 Not Found | `User %s not found` | `modules/users/contract.ts` |')
  t.match(reference, '\n| `CLV_GATEWAY_NO_HEALTHY_UPSTREAM` | 503 Service Unavailable |')
})

t.test('every coded error made in src/ has a row', async (t) => {
  const sites = callSites()
  t.ok(sites.length > 30, `found ${sites.length} createError and createProblemError calls`)
  for (const { file, code } of sites) t.ok(hasRow(code), `${code} (src/${file}) has a row`)
})

// Codes made without a factory are listed by hand in the script: none of those may be forgotten.
t.test('every CLV_ code written in src/ has a row', async (t) => {
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'))
  const codes = new Set(files.flatMap((file) => readFileSync(join(src, file), 'utf8').match(/\bCLV_[A-Z0-9_]*[A-Z0-9]/g) ?? []))
  for (const code of codes) t.ok(code === 'CLV_HTTP' ? hasRow('CLV_HTTP_<status>') : hasRow(code), `${code} has a row`)
})

t.test('the scan finds every call, and refuses a code it cannot read', async (t) => {
  const dir = tempDir(t)
  mkdirSync(join(dir, 'platform', 'fake'), { recursive: true })
  writeFileSync(join(dir, 'platform', 'fake', 'errors.ts'), [
    'const Hidden = createError(\'CLV_FAKE_HIDDEN\', `No $' + '{thing} here`, 409)',
    '// createError(\'CLV_IN_A_COMMENT\', \'not a call\')',
    'export const Shown = createProblemError(',
    '  \'CLV_FAKE_SHOWN\', \'It\\\'s %s\')'
  ].join('\n'))
  t.same(callSites(dir), [
    { file: 'platform/fake/errors.ts', code: 'CLV_FAKE_HIDDEN', detail: 'No %s here', status: 409 },
    { file: 'platform/fake/errors.ts', code: 'CLV_FAKE_SHOWN', detail: 'It\'s %s', status: 500 }
  ])
  writeFileSync(join(dir, 'platform', 'fake', 'more.ts'), 'export const Bad = createError(code, \'made from a variable\', 400)')
  t.throws(() => callSites(dir), /platform\/fake\/more\.ts: a coded error whose code is not a CLV_ literal/)
})
