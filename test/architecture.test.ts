import t from 'tap'
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'

const root = resolve(import.meta.dirname, '..')
// `import … from`, `export … from`, `import('…')`, a bare `import '…'` and `declare module '…'`:
// type-only imports and augmentations are dependencies too.
const importPattern = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|declare\s+module\s+['"]([^'"]+)['"]/g

function sourceFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
}

function importsOf (source: string): string[] {
  return [...source.matchAll(importPattern)].map((match) => match[1] ?? match[2] ?? match[3] ?? match[4])
}

// Files are given relative to the project root, with their text, so the rule can be tested on made-up trees.
function violations (files: Record<string, string>): string[] {
  const found: string[] = []
  for (const [file, source] of Object.entries(files)) {
    const [top, area, owner] = file.split('/')
    for (const specifier of importsOf(source).filter((s) => s.startsWith('.'))) {
      const target = relative(root, resolve(root, dirname(file), specifier)).split(sep).join('/')
      const [targetTop, targetArea, targetModule, ...rest] = target.split('/')
      if (top !== 'src' || targetTop !== 'src' || targetArea !== 'modules') continue
      if (area === 'platform') found.push(`${file} imports ${target}: the platform never names a module`)
      if (area === 'modules' && targetModule !== owner && rest.join('/') !== 'contract.js') {
        found.push(`${file} imports ${target}: only another module's contract.ts may be imported`)
      }
    }
  }
  return found
}

t.test('the rule catches what it must', async (t) => {
  t.same(violations({
    'src/modules/orders/index.ts': "import { usersContract } from '../users/contract.js'\nimport { x } from './store.js'",
    'src/modules/users/index.ts': "import { y } from '../../platform/app.js'"
  }), [], 'a contract import, an own import and a platform import are allowed')
  t.equal(violations({ 'src/modules/orders/index.ts': "import { createUserStore } from '../users/store.js'" }).length, 1)
  t.equal(violations({ 'src/modules/orders/index.ts': "const m = await import('../users/operations.js')" }).length, 1)
  t.equal(violations({ 'src/modules/orders/index.ts': "export { User } from '../users/contract/../store.js'" }).length, 1)
  t.equal(violations({ 'src/platform/app.ts': "import type { User } from '../modules/users/contract.js'" }).length, 1)
})

t.test('src/ keeps the module boundaries', async (t) => {
  const files = Object.fromEntries(sourceFiles(join(root, 'src')).map((file) => [relative(root, file).split(sep).join('/'), readFileSync(file, 'utf8')]))
  t.ok(Object.keys(files).some((file) => file.startsWith('src/modules/')), 'modules were read')
  t.same(violations(files), [])
})

// A module reaches another only as `app.clients.<module>` (or the type `Clients['<module>']`), and
// only one its contract declares in `calls`: what start-up, the map and check:deploy rely on.
const namedClient = /\b[Cc]lients(?:\?\.|\.)([A-Za-z_$][\w$]*)|\b[Cc]lients\[\s*['"]([^'"]+)['"]\s*\]/g
const anyClients = /\b[Cc]lients\b/g

function undeclaredCalls (sources: Record<string, string>, calls: Readonly<Record<string, readonly string[]>>): string[] {
  const found: string[] = []
  for (const [file, source] of Object.entries(sources)) {
    const module = file.split('/')[2]
    // Imports and comments say `clients` without calling anything.
    const code = source.replace(importPattern, '').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1')
    const named = [...code.matchAll(namedClient)]
    for (const match of named) {
      const target = match[1] ?? match[2]
      if (!(calls[module] ?? []).includes(target)) found.push(`${file} calls ${target}, which ${module}'s contract does not declare in calls`)
    }
    if ([...code.matchAll(anyClients)].length > named.length) found.push(`${file} reaches the clients other than as app.clients.<module>`)
  }
  return found
}

t.test('the calls rule catches what it must', async (t) => {
  const calls = { orders: ['users'] }
  t.same(undeclaredCalls({
    'src/modules/orders/index.ts': "import type { Clients } from '../../platform/clients/index.js'\nconst ops = make(app.clients.users)\ntype U = Clients['users']"
  }, calls), [], 'a declared call, as a value and as a type')
  t.equal(undeclaredCalls({ 'src/modules/orders/index.ts': 'app.clients.hello.getService({})' }, calls).length, 1, 'an undeclared one')
  t.equal(undeclaredCalls({ 'src/modules/proxy/index.ts': 'app.clients?.users' }, calls).length, 1, 'a module that declares none')
  t.equal(undeclaredCalls({ 'src/modules/orders/index.ts': "app.clients['hello']" }, calls).length, 1, 'by brackets')
  t.equal(undeclaredCalls({ 'src/modules/orders/index.ts': 'const { hello } = app.clients' }, calls).length, 1, 'by destructuring')
  t.equal(undeclaredCalls({ 'src/modules/orders/index.ts': 'const c = app.clients\nc.users.getUser({})' }, calls).length, 1, 'through a variable')
  t.same(undeclaredCalls({ 'src/modules/orders/index.ts': '// calls through app.clients, e.g. app.clients.hello\n/* or clients.proxy */ const url = "http://x" // app.clients' }, calls), [], 'comments are not calls')
})

t.test('a module calls only the modules its contract declares', async (t) => {
  const { loadModuleRegistry } = await import('../src/platform/contracts/module-registry.js')
  const { calls } = await loadModuleRegistry()
  const modulesDir = join(root, 'src', 'modules')
  const sources = Object.fromEntries(sourceFiles(modulesDir).map((file) => [relative(root, file).split(sep).join('/'), readFileSync(file, 'utf8')]))
  t.ok(Object.values(sources).some((source) => source.includes('app.clients.')), 'some module calls another')
  t.same(undeclaredCalls(sources, calls), [])
})

const platformDir = join(root, 'src', 'platform')

t.test('the platform is grouped by concern: no file at its root', async (t) => {
  const loose = readdirSync(platformDir, { withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => entry.name)
  t.same(loose, [], 'every platform file sits in the folder of its concern')
})

// The import graph of src/ (relative imports, types included), file → the files it imports.
function importGraph (): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of sourceFiles(join(root, 'src'))) {
    const targets = importsOf(readFileSync(file, 'utf8')).filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts'))
    graph.set(file, targets)
  }
  return graph
}

function cycleFrom (graph: Map<string, string[]>, start: string, path: string[] = [], done = new Set<string>()): string[] | undefined {
  if (path.includes(start)) return [...path.slice(path.indexOf(start)), start]
  if (done.has(start)) return undefined
  for (const next of graph.get(start) ?? []) {
    const cycle = cycleFrom(graph, next, [...path, start], done)
    if (cycle) return cycle
  }
  done.add(start)
  return undefined
}

t.test('src/ has no import cycle', async (t) => {
  const graph = importGraph()
  const done = new Set<string>()
  const cycles = [...graph.keys()].map((file) => cycleFrom(graph, file, [], done)).filter((cycle) => cycle !== undefined)
  t.same(cycles.map((cycle) => cycle.map((file) => relative(root, file)).join(' → ')), [])
})

// The floors as docs/architecture.md declares them, folder → floor: the table there is the rule.
function declaredFloors (markdown: string): Map<string, number> {
  const floors = new Map<string, number>()
  for (const [, floor, folders] of markdown.matchAll(/^\| (\d+)[^|]*\| ([^|]+) \|/gm)) {
    for (const [, folder] of folders.matchAll(/`([a-z-]+)\/`/g)) floors.set(folder, Number(floor))
  }
  return floors
}

// Files relative to src/platform with their text, so the rule can be tested on made-up trees.
function floorViolations (files: Record<string, string>, floors: Map<string, number>): string[] {
  const found: string[] = []
  for (const [file, source] of Object.entries(files)) {
    const folder = file.split('/')[0]
    for (const specifier of importsOf(source).filter((s) => s.startsWith('.'))) {
      const target = relative(platformDir, resolve(platformDir, dirname(file), specifier)).split(sep).join('/')
      const targetFolder = target.split('/')[0]
      if (targetFolder === folder || targetFolder.startsWith('..')) continue
      const from = floors.get(folder)
      const to = floors.get(targetFolder)
      if (from === undefined || to === undefined) found.push(`${file} imports ${target}: a folder without a floor`)
      else if (to >= from) found.push(`${file} imports ${target}: ${targetFolder}/ is on floor ${to}, ${to === from ? 'the same as' : 'above'} ${folder}/ (floor ${from})`)
    }
  }
  return found
}

const floors = declaredFloors(readFileSync(join(root, 'docs', 'architecture.md'), 'utf8'))

t.test('the floor rule catches what it must', async (t) => {
  const made = new Map([['primitives', 0], ['config', 1], ['http', 2], ['storage', 2], ['app', 5]])
  t.same(floorViolations({
    'app/build-app.ts': "import { x } from '../http/errors.js'\nimport { y } from './serve.js'",
    'http/errors.ts': "import type { ProblemBody } from '../primitives/problem.js'"
  }, made), [], 'down a floor, within a folder, a type from the ground floor')
  t.match(floorViolations({ 'config/config.ts': "import { paths } from '../app/paths.js'" }, made), [/above config/], 'an import up')
  t.match(floorViolations({ 'config/config.ts': "import type { App } from '../app/build-app.js'" }, made), [/above config/], 'a type-only import up')
  t.match(floorViolations({ 'http/errors.ts': "export { isUniqueViolation } from '../storage/errors.js'" }, made), [/the same as http/], 'a re-export across one floor')
  t.match(floorViolations({ 'primitives/paths.ts': "const m = await import('../config/config.js')" }, made), [/above primitives/], 'a dynamic import up')
  t.match(floorViolations({ 'http/errors.ts': "import { z } from '../elsewhere/z.js'" }, made), [/without a floor/], 'a folder the table does not name')
})

t.test('the platform\'s folders rank as docs/architecture.md declares: every import goes down', async (t) => {
  const folders = readdirSync(platformDir, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort()
  t.same([...floors.keys()].sort(), folders, 'the table names every folder of src/platform once')
  t.equal(floors.get('primitives'), 0, 'the primitives are the ground floor')
  t.equal(Math.max(...floors.values()), floors.get('app'), 'app/ is the roof')
  t.same([...floors].filter(([folder, floor]) => floor === floors.get('app') && folder !== 'app'), [], 'app/ is alone on the roof')
  const files = Object.fromEntries(sourceFiles(platformDir).map((file) => [relative(platformDir, file).split(sep).join('/'), readFileSync(file, 'utf8')]))
  t.same(floorViolations(files, floors), [])
})

// In a process of its own, so nothing is loaded before: importing any platform file reads no
// disk, opens no socket, starts no process and loads no module (the entry point does those).
t.test('nothing happens at import: every platform file imported, no I/O and no module loaded', async (t) => {
  const output = execFileSync(process.execPath, ['--import', 'tsx', join('test', 'fixtures', 'import-platform.ts')], { cwd: root, encoding: 'utf8' })
  const found = JSON.parse(output) as { files: number, io: string[], modules: string[] }
  t.equal(found.files, sourceFiles(platformDir).length, 'every platform file was imported')
  t.same(found.io, [], 'no disk, socket or process touched by a platform file at import')
  t.same(found.modules, [], 'no module of src/modules loaded')
})
