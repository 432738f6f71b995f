// The docs name files by path so a reader can open them, and npm scripts so a reader can run them: every
// path they quote must exist, and every script they name. Files move (three moved under platform/ without
// the docs noticing) and scripts get renamed; this catches the next one.
import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const docs = ['README.md', 'bench/README.md', ...readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' })
  .filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)]
const scripts = Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts)
// A quoted path into the tree; one starting at platform/ or modules/ is read from src/.
const quotedPath = /`((?:src|test|deploy|scripts|bench|docs|platform|modules|examples|contracts|drizzle)\/[\w./-]*)`/g
// npm's own options (-s) come before the name; `npm run <name>` and the like are placeholders, not
// names; `bench:*` stands for every bench script.
const npmRun = /\bnpm run(?:\s+--?[\w-]+)*\s+([^\s`'"()|,;]+)/g

function missingPaths (text: string): string[] {
  return [...text.matchAll(quotedPath)].map((match) => match[1].replace(/\/$/, ''))
    .filter((path) => !existsSync(join(root, path)) && !existsSync(join(root, 'src', path)))
}

function missingScripts (text: string, known = scripts): string[] {
  return [...text.matchAll(npmRun)].map((match) => match[1].replace(/[.:]+$/, ''))
    .filter((name) => !/[<>]/.test(name))
    .filter((name) => name.endsWith('*') ? !known.some((script) => script.startsWith(name.slice(0, -1))) : !known.includes(name))
}

t.test('the check catches a path that does not exist', async (t) => {
  t.same(missingPaths('see `platform/app/shutdown.ts`, `src/platform/http/connections/` and `docs/reference/settings.md`'), [])
  t.same(missingPaths('see `platform/shutdown.ts` and `docs/reference/nothing.md`'), ['platform/shutdown.ts', 'docs/reference/nothing.md'])
})

t.test('the check catches an npm script that does not exist', async (t) => {
  const known = ['dev', 'bench', 'bench:split', 'docs:settings']
  t.same(missingScripts('run `npm run dev`, then npm run -s bench:split. See npm run docs:settings: npm run <name>, npm run bench:*', known), [])
  t.same(missingScripts('run `npm run start:dev` or npm run --silent docs:setting, and npm run nothing:*', known), ['start:dev', 'docs:setting', 'nothing:*'])
})

t.test('every path the docs quote exists', async (t) => {
  for (const doc of docs) t.same(missingPaths(readFileSync(join(root, doc), 'utf8')), [], doc)
})

t.test('every npm script the docs name exists', async (t) => {
  for (const doc of docs) t.same(missingScripts(readFileSync(join(root, doc), 'utf8')), [], doc)
})
