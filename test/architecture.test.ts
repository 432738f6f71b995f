import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const importPattern = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

function sourceFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
}

function importsOf (source: string): string[] {
  return [...source.matchAll(importPattern)].map((match) => match[1] ?? match[2])
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

// The registry imports every contract while it is itself being loaded (a top-level await): a
// contract that reached it, however indirectly, would wait on itself for ever.
t.test('no contract reaches the module registry through its imports', async (t) => {
  const graph = importGraph()
  const registry = join(platformDir, 'contracts', 'module-registry.ts')
  const reached = (file: string, seen = new Set<string>()): boolean => {
    if (file === registry) return true
    if (seen.has(file)) return false
    seen.add(file)
    return (graph.get(file) ?? []).some((next) => reached(next, seen))
  }
  const contracts = [...graph.keys()].filter((file) => file.endsWith(`${sep}contract.ts`) && file.includes(`${sep}modules${sep}`))
  t.ok(contracts.length > 0, 'contracts were read')
  t.same(contracts.filter((file) => reached(file)).map((file) => relative(root, file)), [])
})
