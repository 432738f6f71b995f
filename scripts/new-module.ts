// npm run new:module -- <name> — a new module with everything the checks ask of one: its source and
// test, its Compose service and Kubernetes manifest, its first migrations (drizzle/<name>/sqlite/ and
// drizzle/<name>/postgres/, 0000_init.sql each, from its tables.ts) and its published contract.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { serviceUrlKey } from '../src/platform/config/config.js'
import { k8sManifest, moduleFiles, namesOf } from './new-module/templates.js'

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

function addCompose (module: string) {
  const file = 'deploy/compose.yaml'
  edit(file, (text) => {
    text = afterLast(text, /^ {2}SERVICE_[A-Z0-9_]+_URL: http:\/\/.*$/, `  ${serviceUrlKey(module)}: http://${module}:3000\n`, file)
    text = afterLast(text, /^ {6}[a-z0-9-]+: \{ condition: service_healthy \}$/, `      ${module}: { condition: service_healthy }\n`, file)
    const service = `  ${module}:\n    <<: *image\n    profiles: [split]\n    environment:\n      <<: *discovery\n      MODULES: ${module}\n    volumes:\n      - ${module}-data:/data\n    depends_on: *needs-redis\n\n`
    const volumes = text.indexOf('\nvolumes:\n')
    if (volumes < 0) throw new Error(`${file}: no top-level volumes:`)
    text = text.slice(0, volumes + 1) + service + text.slice(volumes + 1)
    return afterLast(text, /^ {2}[a-z0-9-]+-data:$/, `  ${module}-data:\n`, file)
  })
}

function addKubernetes (module: string) {
  writeFileSync(join(root, `deploy/k8s/${module}.yaml`), k8sManifest(module))
  edit('deploy/k8s/kustomization.yaml', (text) => afterLast(text, /^ {2}- [a-z0-9-]+\.yaml$/, `  - ${module}.yaml\n`, 'deploy/k8s/kustomization.yaml'))
  edit('deploy/k8s/config.yaml', (text) => afterLast(text, /^ {2}SERVICE_[A-Z0-9_]+_URL: http:\/\/.*$/, `  ${serviceUrlKey(module)}: http://${module}:3000\n`, 'deploy/k8s/config.yaml'))
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
  console.log(`written   deploy/compose.yaml, deploy/k8s/${name}.yaml (+ kustomization.yaml, config.yaml)`)
  run(process.execPath, ['--import', 'tsx', 'scripts/generate-migrations.ts', name, '--name', 'init'])
  for (const dialect of ['sqlite', 'postgres']) {
    if (!existsSync(join(root, 'drizzle', name, dialect, '0000_init.sql'))) throw new Error(`drizzle/${name}/${dialect}/0000_init.sql was not generated`)
  }
  run(process.execPath, ['--import', 'tsx', 'scripts/update-contracts.ts', name])
  console.log(`\n${name} is ready: MODULES=${name} npm start, then curl localhost:3000/${name}`)
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) main(process.argv[2])
