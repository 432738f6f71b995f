// npm run db:generate: drizzle-kit migrations for every module with a tables.ts, in both dialects.
// `npm run db:generate -- <module>` does one module; `--name <name>` names the migrations it
// writes (drizzle-kit's --name: 0000_init.sql rather than a random name; npm run new:module
// passes `--name init`).
// drizzle-kit finds tables among a file's top-level exports, so for each module and dialect this
// writes a one-line schema file that exports that dialect's set, then runs drizzle-kit on it.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { paths } from '../src/platform/primitives/paths.js'
import { loadModuleTables } from '../src/platform/storage/module-tables.js'
import type { Dialect } from '../src/platform/storage/table-kit.js'

const root = join(paths.modules, '..', '..')
const schemas = join(root, '.drizzle-schema')
mkdirSync(schemas, { recursive: true })
const dialects: Dialect[] = ['sqlite', 'postgres']
const { values: { name: migrationName }, positionals: [only, ...extra] } = parseArgs({ options: { name: { type: 'string' } }, allowPositionals: true })
if (extra.length > 0) throw new Error(`one module at most, got ${[only, ...extra].join(', ')}`)
if (only && !existsSync(join(paths.modules, only, 'tables.ts'))) throw new Error(`src/modules/${only}/tables.ts does not exist`)
const nameArgs = migrationName ? ['--name', migrationName] : []

for (const module of readdirSync(paths.modules).filter((name) => !only || name === only)) {
  const found = await loadModuleTables(module)
  if (!found) continue
  const { name, tables } = found
  for (const dialect of dialects) {
    writeFileSync(join(schemas, `${module}.${dialect}.ts`),
      `import { ${name} } from '../src/modules/${module}/tables.js'\n\nexport const { ${Object.keys(tables[dialect]).join(', ')} } = ${name}.${dialect}\n`)
    execFileSync(join(root, 'node_modules', '.bin', 'drizzle-kit'), ['generate', ...nameArgs], { cwd: root, stdio: 'inherit', env: { ...process.env, MODULE: module, DIALECT: dialect } })
    if (dialect === 'postgres') unqualify(join(root, 'drizzle', module, dialect))
  }
}

// drizzle-kit names the public schema in foreign keys; a module's tables live in its own schema,
// reached through the connection's search_path, so the SQL names none.
function unqualify (folder: string) {
  for (const sqlFile of readdirSync(folder).filter((entry) => entry.endsWith('.sql'))) {
    const path = join(folder, sqlFile)
    const text = readFileSync(path, 'utf8')
    if (text.includes('"public".')) writeFileSync(path, text.replaceAll('"public".', ''))
  }
}
