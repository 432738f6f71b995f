// npm run new:module in a copy of the tree, then the checks every module must pass, run in that copy.
import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { nameProblem } from '../../scripts/new-module.js'
import { tempDir } from '../helpers/app.js'
import { projectRoot } from '../helpers/process.js'

// Generating (drizzle-kit, the contract) and the checks take 1–2 minutes on two busy cores.
t.setTimeout(360_000)

const copied = ['src', 'drizzle', 'deploy', 'contracts', 'scripts', 'package.json', 'README.md', 'docs/architecture.md', 'docs/reference/module-map.md', 'tsconfig.json', 'tsconfig.build.json', 'drizzle.config.ts',
  'test/helpers', 'test/architecture.test.ts', 'test/fixtures/import-platform.ts', 'test/contracts.test.ts', 'test/deploy/manifests.test.ts', '.github/workflows/ci.yml', '.ci/run']

t.test('names: kebab-case, new, not reserved', async (t) => {
  t.equal(nameProblem('widgets'), undefined)
  t.equal(nameProblem('stock-levels'), undefined)
  t.match(nameProblem(undefined), /usage/)
  for (const bad of ['Widgets', 'stock_levels', '-x', 'x-', 'a--b', '1st']) t.match(nameProblem(bad), /kebab-case/, bad)
  for (const taken of ['health', 'docs', 'admin-tools', 'metrics', 'all']) t.match(nameProblem(taken), /reserved/, taken)
  t.match(nameProblem('users'), /already exists/)
})

t.test('a generated module passes the architecture, manifests and contracts checks and its own test', { timeout: 340_000 }, async (t) => {
  const copy = tempDir(t, 'cleave-new-module-')
  for (const path of copied) {
    mkdirSync(dirname(join(copy, path)), { recursive: true })
    cpSync(join(projectRoot, path), join(copy, path), { recursive: true })
  }
  symlinkSync(join(projectRoot, 'node_modules'), join(copy, 'node_modules'))
  const run = (command: string, args: string[]) => spawnSync(command, args, { cwd: copy, encoding: 'utf8', env: { ...process.env, TAP_RCFILE: '' } })

  const generated = run('npm', ['run', '--silent', 'new:module', '--', 'widgets'])
  t.equal(generated.status, 0, generated.stderr)
  t.match(generated.stdout, /contracts\/widgets\.json/)
  // Its first migrations, one per dialect, from its tables.ts, named like every module's first.
  for (const dialect of ['sqlite', 'postgres']) {
    const folder = join(copy, 'drizzle/widgets', dialect)
    t.ok(existsSync(join(folder, '0000_init.sql')), `drizzle/widgets/${dialect}/0000_init.sql`)
    t.match(JSON.parse(readFileSync(join(folder, 'meta/_journal.json'), 'utf8')), { entries: [{ idx: 0, tag: '0000_init' }] }, `${dialect} journal names it`)
  }
  t.match(readFileSync(join(copy, 'src/modules/widgets/contract.ts'), 'utf8'), /\n {2}calls: \[\]\n/, 'its contract declares the modules it calls: none yet')
  t.match(readFileSync(join(copy, 'docs/reference/module-map.md'), 'utf8'), /\n {2}m_widgets\["widgets"\]\n/, 'and it is on the module map')
  const readme = readFileSync(join(copy, 'README.md'), 'utf8')
  const modulesTable = readme.slice(readme.indexOf('\n## Modules\n'), readme.indexOf('\n## ', readme.indexOf('\n## Modules\n') + 1))
  t.match(modulesTable, /\|\n\| `widgets` \| `GET \/widgets` .*`GET \/widgets\/:id`, `POST \/widgets` \(201.*\|\n$/, 'its row at the end of the README\'s table of modules')
  t.equal(run(process.execPath, ['--import', 'tsx', 'scripts/new-module.ts', 'widgets']).status, 1, 'a second time: it exists')
  const deployable = run('npm', ['run', '--silent', 'check:deploy'])
  t.equal(deployable.status, 0, `its Compose services and Kubernetes Deployments reach what they need: ${deployable.stderr}`)

  // Each check file run on its own, as from a terminal, with tsx for TypeScript: tap's runner loads
  // it through ts-node, which compiles every file of a fresh tree anew (measured: 2–3× as long
  // here). A tap file run alone reports its own totals; nothing of this tap run is passed on.
  const alone = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(_?TAP|NODE_OPTIONS$)/.test(key)))
  const checks = await Promise.all(['architecture', 'deploy/manifests', 'contracts', 'modules/widgets'].map(async (name) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `test/${name}.test.ts`], { cwd: copy, env: alone })
    let output = ''
    child.stdout.on('data', (chunk) => { output += chunk })
    child.stderr.on('data', (chunk) => { output += chunk })
    const [code] = await once(child, 'close')
    return { name, code, output }
  }))
  for (const { name, code, output } of checks) {
    const failures = output.split('\n').filter((line) => /not ok|fail/.test(line)).join('\n')
    t.equal(code, 0, `${name} passes in the copy`, { output: failures })
    t.match(output, /^# \{ total: (\d+), pass: \1 \}$/m, `${name}: every assertion ran and passed, none skipped`)
  }
})
