// The docs name files by path so a reader can open them: every path they quote must exist. Files
// move (three moved under platform/ without the docs noticing); this catches the next one.
import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const docs = ['README.md', 'bench/README.md', ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)]
// A quoted path into the tree; one starting at platform/ or modules/ is read from src/.
const quotedPath = /`((?:src|test|deploy|scripts|bench|platform|modules|examples|contracts|drizzle)\/[\w./-]*)`/g

function missingPaths (text: string): string[] {
  return [...text.matchAll(quotedPath)].map((match) => match[1].replace(/\/$/, ''))
    .filter((path) => !existsSync(join(root, path)) && !existsSync(join(root, 'src', path)))
}

t.test('the check catches a path that does not exist', async (t) => {
  t.same(missingPaths('see `platform/app/shutdown.ts` and `src/platform/http/connections/`'), [])
  t.same(missingPaths('see `platform/shutdown.ts`'), ['platform/shutdown.ts'])
})

t.test('every path the docs quote exists', async (t) => {
  for (const doc of docs) t.same(missingPaths(readFileSync(join(root, doc), 'utf8')), [], doc)
})
