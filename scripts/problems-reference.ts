// npm run docs:problems — writes docs/reference/problems.md: every problem code a Cleave process answers with.
// test/scripts/problems-reference.test.ts fails when the file and the code differ.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { STATUS_CODES } from 'node:http'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { loadModuleRegistry, type ModuleRegistry } from '../src/platform/contracts/module-registry.js'
import { problemType } from '../src/platform/primitives/problem.js'

export const problemsFile = join(import.meta.dirname, '..', 'docs', 'reference', 'problems.md')
const srcDir = join(import.meta.dirname, '..', 'src')

// The factories' own file calls them with variables: it makes no error of its own.
const factoryFile = 'platform/primitives/coded-errors.ts'
const factoryCall = /\b(?:createError|createProblemError)\s*\(/g
const literal = String.raw`'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|\`(?:[^\`\\]|\\.)*\``
const callArguments = new RegExp(String.raw`\(\s*(${literal})\s*(?:,\s*(${literal})\s*(?:,\s*(\d{3}))?)?`, 'y')

/** detail is Markdown: the text sent, as a code span, or prose for a detail written at run time. */
interface Problem { code: string, status: number | string, detail: string, file: string }

/** A call in the source: its code always, its message and status as written (a template's `${…}` shown as %s). */
interface CallSite { file: string, code: string, detail?: string, status: number }

// Codes no factory makes, each with where it is made; the test checks every CLV_ code in src/ has a row.
const uncoded: Problem[] = [
  { code: 'CLV_VALIDATION', status: 400, file: 'platform/http/errors.ts', detail: 'The request fails its route\'s schema: the detail sums the issues up and `errors[]` names each bad field (in, field, message)' },
  { code: 'CLV_HTTP_<status>', status: '4xx', file: 'platform/http/errors.ts', detail: 'A library refused the request under a code of its own: the status names the kind of refusal, the detail is the library\'s' },
  { code: 'CLV_INTERNAL', status: 500, file: 'platform/http/errors.ts', detail: 'A failure with a 5xx status, or none, and no CLV_ code of its own: `An unexpected error occurred`; the error itself is logged with the request id' },
  { code: 'CLV_REQUEST_TIMEOUT', status: 408, file: 'platform/http/errors.ts', detail: 'The whole request did not arrive within REQUEST_TIMEOUT_MS; written to the socket, which is then closed' },
  { code: 'CLV_HEADERS_TOO_LARGE', status: 431, file: 'platform/http/errors.ts', detail: 'The request headers are larger than Node accepts; written to the socket, which is then closed' },
  { code: 'CLV_MALFORMED_REQUEST', status: 400, file: 'platform/http/errors.ts', detail: 'Bytes that are not valid HTTP (Node\'s parser refused them); written to the socket, which is then closed' },
  { code: 'CLV_NOT_READY', status: 503, file: 'platform/observability/health.ts', detail: 'GET /health/ready: a dependency is not ready, or the process is draining; `checks` gives each check\'s state' }
]

// A | inside a cell would end it, even within backticks.
const cell = (text: string) => text.replaceAll('|', '\\|')
const codeSpan = (text: string) => text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``

function shownDetail (detail: string): string {
  if (/^(?:%[sdifjoO]|\s)*$/.test(detail)) return 'written where it is raised'
  return codeSpan(detail)
}

function unquote (text: string): string {
  const body = text.slice(1, -1)
  return text.startsWith('`') ? body.replace(/\$\{[^}]*\}/g, '%s') : body.replace(/\\(.)/g, '$1')
}

/** Every createError and createProblemError call under dir; a code that is not a literal stops the generator. */
export function callSites (dir = srcDir): CallSite[] {
  const sites: CallSite[] = []
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts')).sort()
  for (const file of files) {
    if (file === factoryFile) continue
    const text = readFileSync(join(dir, file), 'utf8')
    for (const match of text.matchAll(factoryCall)) {
      const line = text.slice(text.lastIndexOf('\n', match.index) + 1, match.index).trim()
      if (line.startsWith('//') || line.startsWith('*')) continue
      callArguments.lastIndex = match.index + match[0].length - 1
      const [, code, message, status] = callArguments.exec(text) ?? []
      if (code === undefined || !/^.CLV_[A-Z0-9_]+.$/.test(code)) throw new Error(`src/${file}: a coded error whose code is not a CLV_ literal; docs/reference/problems.md cannot list it`)
      sites.push({ file, code: unquote(code), detail: message === undefined ? undefined : unquote(message), status: status === undefined ? 500 : Number(status) })
    }
  }
  return sites
}

type Coded = new () => Error & { code?: unknown, statusCode?: unknown }

// A coded error made with no arguments keeps its message's placeholders: its template.
function describe (ErrorClass: Coded, file: string): Problem | undefined {
  const error = new ErrorClass()
  if (typeof error.code !== 'string' || !error.code.startsWith('CLV_')) return undefined
  return { code: error.code, status: Number(error.statusCode ?? 500), detail: shownDetail(error.message), file }
}

async function exportedProblems (file: string): Promise<Problem[]> {
  const exported = Object.values(await import(pathToFileURL(join(srcDir, file)).href)) as unknown[]
  return exported.filter((value): value is Coded => typeof value === 'function' && value.prototype instanceof Error)
    .flatMap((ErrorClass) => describe(ErrorClass, file) ?? [])
}

const groupOf = (file: string) => file.split('/').slice(0, 2).join('/')

/** Problems by group (platform concern folder or module), each group's codes in order. */
async function collectProblems (registry: ModuleRegistry): Promise<Map<string, Problem[]>> {
  const found: Problem[] = [...uncoded]
  // A module's problems are the errors its contract declares; one it makes without declaring still counts.
  for (const [module, contract] of registry.contracts) {
    for (const ErrorClass of Object.values(contract.errors)) {
      const problem = describe(ErrorClass as Coded, `modules/${module}/contract.ts`)
      if (!problem) throw new Error(`the ${module} contract declares an error without a CLV_ code`)
      found.push(problem)
    }
  }
  const declared = new Set(found.filter((problem) => problem.file.startsWith('modules/')).map((problem) => `${groupOf(problem.file)} ${problem.code}`))
  const exports = new Map<string, Problem[]>()
  for (const site of callSites()) {
    if (declared.has(`${groupOf(site.file)} ${site.code}`)) continue
    if (!exports.has(site.file)) exports.set(site.file, await exportedProblems(site.file))
    const real = exports.get(site.file)!.find((problem) => problem.code === site.code)
    // An error kept private to its file is read as written: the class cannot be imported.
    if (!real && site.detail === undefined) throw new Error(`src/${site.file}: ${site.code} is neither exported nor made with a literal message`)
    found.push(real ?? { code: site.code, status: site.status, detail: shownDetail(site.detail!), file: site.file })
  }
  return merged(found)
}

// Not localeCompare: the order, and so the file, would depend on the machine's locale.
const byCodeUnits = (a: string, b: string) => a < b ? -1 : a > b ? 1 : 0

// One row per code and group; a code made in several places lists each detail once.
function merged (problems: Problem[]): Map<string, Problem[]> {
  const groups = new Map<string, Map<string, Problem & { details: string[], files: string[] }>>()
  for (const problem of problems) {
    const group = groups.get(groupOf(problem.file)) ?? new Map()
    groups.set(groupOf(problem.file), group)
    const row = group.get(problem.code)
    if (!row) { group.set(problem.code, { ...problem, details: [problem.detail], files: [problem.file] }); continue }
    if (row.status !== problem.status) throw new Error(`${problem.code} is made with status ${row.status} and ${problem.status}`)
    if (!row.details.includes(problem.detail)) row.details.push(problem.detail)
    if (!row.files.includes(problem.file)) row.files.push(problem.file)
  }
  // The platform's codes first: any route may answer with them.
  const rank = (group: string) => `${group.startsWith('platform/') ? 0 : 1}${group}`
  const sorted = [...groups].sort(([a], [b]) => byCodeUnits(rank(a), rank(b)))
  return new Map(sorted.map(([group, rows]) => [group, [...rows.values()]
    .sort((a, b) => byCodeUnits(a.code, b.code))
    .map(({ details, files, ...row }) => ({ ...row, detail: details.join(' — or — '), file: files.map((file) => `\`${file}\``).join(', ') }))]))
}

function statusOf (status: number | string): string {
  return typeof status === 'number' ? `${status} ${STATUS_CODES[status] ?? ''}`.trim() : status
}

function groupTitle (group: string, external: string[]): string {
  const [kind, name] = group.split('/')
  if (kind !== 'modules') return `## ${group}`
  return external.includes(name) ? `## modules/${name} (external)` : `## modules/${name}`
}

export async function problemsReference (): Promise<string> {
  const registry = await loadModuleRegistry()
  const groups = await collectProblems(registry)
  const sections = [...groups].flatMap(([group, rows]) => [
    groupTitle(group, registry.external),
    '',
    '| code | status | detail | made in |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| \`${row.code}\` | ${statusOf(row.status)} | ${cell(row.detail)} | ${row.file} |`),
    ''
  ])
  return [
    '# Problems',
    '',
    'Generated by `npm run docs:problems` from the code: the platform\'s `createError` and `createProblemError` calls',
    '(read from `src/`, their classes imported where they are exported), the errors each module\'s contract declares,',
    'and the few codes made without a factory, listed in `scripts/problems-reference.ts`. Change the code, then run it.',
    '',
    'Every error answer is `application/problem+json` (RFC 9457). `code` is one of the codes below and never changes',
    'meaning; `type` is the same code as a URI, `urn:cleave:problem:` and the code in lower case with `-` for `_`',
    `(\`CLV_USERS_NOT_FOUND\` → \`${problemType('CLV_USERS_NOT_FOUND')}\`); \`title\` is the status's reason phrase;`,
    '`detail` is for people and may change; `instance` and `requestId` name the request. A detail in code type is the',
    'text sent, `%s` and `%d` standing for values filled in when the error is raised; one in plain words is written then.',
    '',
    'A 5xx keeps its code and detail only when it has a CLV_ code; any other failure is answered as `CLV_INTERNAL`.',
    'The gateway relays a module\'s answers as they are, and `app.clients` rebuilds from its code the error a contract',
    'declares, so a caller in another module catches the same class. An external module answers with its own implementation.',
    '',
    ...sections
  ].join('\n')
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  writeFileSync(problemsFile, await problemsReference())
  console.log('written docs/reference/problems.md')
}
