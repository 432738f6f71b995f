// npm run new:module -- <name> — a new module with everything the checks ask of one: its source and
// test, its Compose services (split and postgres profiles) and Kubernetes manifest (and its patch in the
// postgres overlay), its first migrations (drizzle/<name>/sqlite/ and drizzle/<name>/postgres/,
// 0000_init.sql each, from its tables.ts), its published contract and its row in the README's table of modules.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { serviceUrlKey } from '../src/platform/config/module-keys.js'
import { k8sManifest, moduleFiles, namesOf, postgresPatch, readmeRow } from './new-module/templates.js'

const root = resolve(import.meta.dirname, '..')
// Path prefixes the platform serves, and words MODULES or the deployment already give a meaning.
const reserved = ['health', 'docs', 'admin', 'metrics', 'gateway', 'platform', 'all', 'redis', 'config', 'secret', 'cleave', 'kustomization']

export function nameProblem (name: string | undefined): string | undefined {
  if (!name) return 'usage: npm run new:module -- <name>   (kebab-case, e.g. widgets or stock-levels)'
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) return `"${name}" is not kebab-case (lower-case letters and digits, words joined by single hyphens, starting with a letter)`
  if (reserved.some((word) => name === word || name.startsWith(`${word}-`))) return `"${name}" is reserved (${reserved.join(', ')})`
  if (existsSync(join(root, 'src/modules', name))) return `src/modules/${name} already exists`
  return undefined
}

function edit (file: string, change: (text: string) => string) {
  const path = join(root, file)
  writeFileSync(path, change(readFileSync(path, 'utf8')))
}

/** Inserts text after the last line matching pattern; fails when nothing matches. */
function afterLast (text: string, pattern: RegExp, insert: string, file: string): string {
  const matches = [...text.matchAll(new RegExp(pattern.source, 'gm'))]
  const last = matches.at(-1)
  if (!last) throw new Error(`${file}: found no line like ${pattern} to add after`)
  const end = text.indexOf('\n', last.index) + 1
  return text.slice(0, end) + insert + text.slice(end)
}

/** Applies change to one service's lines: from the line `start` to the next blank line. */
function inService (text: string, start: string, change: (lines: string) => string, file: string): string {
  const from = text.indexOf(`\n${start}\n`) + 1
  if (from === 0) throw new Error(`${file}: no service ${start.trim()}`)
  const to = text.indexOf('\n\n', from) + 1
  if (to === 0) throw new Error(`${file}: service ${start.trim()} is not followed by a blank line`)
  return text.slice(0, from) + change(text.slice(from, to)) + text.slice(to)
}

/** Inserts text before the first line that is exactly `line`; fails when there is none. */
function before (text: string, line: string, insert: string, file: string): string {
  const at = text.indexOf(`\n${line}\n`) + 1
  if (at === 0) throw new Error(`${file}: no line ${JSON.stringify(line)} to add before`)
  return text.slice(0, at) + insert + text.slice(at)
}

const dependsOnHealthy = /^ {6}[a-z0-9-]+: \{ condition: service_healthy \}$/

function addCompose (module: string) {
  const file = 'deploy/compose.yaml'
  edit(file, (text) => {
    text = afterLast(text, /^ {2}SERVICE_[A-Z0-9_]+_URL: http:\/\/.*$/, `  ${serviceUrlKey(module)}: http://${module}:3000\n`, file)
    text = inService(text, '  gateway:', (lines) => afterLast(lines, dependsOnHealthy, `      ${module}: { condition: service_healthy }\n`, file), file)
    text = inService(text, '  gateway-pg:', (lines) => afterLast(lines, dependsOnHealthy, `      ${module}-pg: { condition: service_healthy }\n`, file), file)
    // The split's service, on SQLite, at the end of the split's section; its twin on PostgreSQL at the end of the postgres profile's.
    const split = `  ${module}:\n    <<: *image\n    profiles: [split]\n    environment:\n      <<: *discovery\n      MODULES: ${module}\n    volumes:\n      - ${module}-data:/data\n    depends_on: *needs-redis\n\n`
    text = before(text, '  # --- postgres: the split, its stateful modules (and their workers) on PostgreSQL ---', split, file)
    const postgres = `  ${module}-pg:\n    <<: *image\n    profiles: [postgres]\n    environment:\n      <<: [*discovery, *database]\n      MODULES: ${module}\n    networks:\n      default:\n        aliases: [${module}]\n    depends_on: *needs-postgres\n\n`
    text = before(text, 'volumes:', postgres, file)
    return afterLast(text, /^ {2}[a-z0-9-]+-data:$/, `  ${module}-data:\n`, file)
  })
}

function addKubernetes (module: string) {
  const base = 'deploy/k8s/base'
  writeFileSync(join(root, `${base}/${module}.yaml`), k8sManifest(module))
  edit(`${base}/kustomization.yaml`, (text) => afterLast(text, /^ {2}- [a-z0-9-]+\.yaml$/, `  - ${module}.yaml\n`, `${base}/kustomization.yaml`))
  edit(`${base}/config.yaml`, (text) => afterLast(text, /^ {2}SERVICE_[A-Z0-9_]+_URL: http:\/\/.*$/, `  ${serviceUrlKey(module)}: http://${module}:3000\n`, `${base}/config.yaml`))
  const overlay = 'deploy/k8s/overlays/postgres'
  writeFileSync(join(root, `${overlay}/${module}.yaml`), postgresPatch(module))
  edit(`${overlay}/kustomization.yaml`, (text) => {
    text = afterLast(text, /^ {2}- path: [a-z0-9-]+\.yaml$/, `  - path: ${module}.yaml\n`, `${overlay}/kustomization.yaml`)
    return afterLast(text, /^ {2}- \{ name: [a-z0-9-]+, count: \d+ \}$/, `  - { name: ${module}, count: 2 }\n`, `${overlay}/kustomization.yaml`)
  })
}

// The table under "## Modules" ends at its first blank line; the row goes at its end.
function addReadme (module: string) {
  edit('README.md', (text) => {
    const heading = text.indexOf('\n## Modules\n')
    if (heading === -1) throw new Error('README.md: no "## Modules" section')
    const table = text.indexOf('\n| ', heading)
    const end = text.indexOf('\n\n', table) + 1
    if (table === -1 || end === 0) throw new Error('README.md: no table of modules under "## Modules"')
    return text.slice(0, end) + readmeRow(module) + text.slice(end)
  })
}

function run (command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal})`)
}

function main (name: string | undefined) {
  const problem = nameProblem(name)
  if (problem || !name) {
    console.error(problem)
    process.exit(1)
  }
  for (const [file, text] of Object.entries(moduleFiles(namesOf(name)))) {
    mkdirSync(dirname(join(root, file)), { recursive: true })
    writeFileSync(join(root, file), text)
    console.log(`written   ${file}`)
  }
  addCompose(name)
  addKubernetes(name)
  addReadme(name)
  console.log(`written   deploy/compose.yaml, deploy/k8s/base/${name}.yaml (+ kustomization.yaml, config.yaml), deploy/k8s/overlays/postgres/${name}.yaml (+ kustomization.yaml), README.md (its row under Modules)`)
  run(process.execPath, ['--import', 'tsx', 'scripts/generate-migrations.ts', name, '--name', 'init'])
  for (const dialect of ['sqlite', 'postgres']) {
    if (!existsSync(join(root, 'drizzle', name, dialect, '0000_init.sql'))) throw new Error(`drizzle/${name}/${dialect}/0000_init.sql was not generated`)
  }
  run(process.execPath, ['--import', 'tsx', 'scripts/update-contracts.ts', name])
  run(process.execPath, ['--import', 'tsx', 'scripts/module-map.ts'])
  console.log(`\n${name} is ready: MODULES=${name} npm start, then curl localhost:3000/${name}`)
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) main(process.argv[2])
