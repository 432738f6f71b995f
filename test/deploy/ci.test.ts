// The Node lines we support, said in places that must agree: package.json's engines, the image's
// base, the GitHub matrix, and scripts/supported-node (which every npm script and .ci/run go
// through: it fetches the image's major where this machine's Node is older than engines).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { projectRoot } from '../helpers/process.js'

// Active and maintenance LTS lines: 22 (to April 2027) and 24 (to April 2028). 20 ended in April 2026.
const supported = [22, 24]
const read = (path: string) => readFileSync(join(projectRoot, path), 'utf8')

t.test('engines, the image, the GitHub matrix and .ci/run name the same supported lines', async (t) => {
  const engines = JSON.parse(read('package.json')).engines.node as string
  t.match(engines, new RegExp(`^>=${supported[0]}(\\.|$)`), `engines start at Node ${supported[0]}: ${engines}`)
  t.match(read('scripts/supported-node'), `minor >= ${engines.split('.')[1] ?? 0}`, 'scripts/supported-node accepts what engines accepts')

  const base = /^FROM (node:(\d+)\.\d+\.\d+-bookworm-slim)\b/m.exec(read('Dockerfile'))
  t.ok(base, 'the image is built on one pinned Node version, Debian with glibc')
  const major = Number(base?.[2])
  t.ok(supported.includes(major), `the image's Node ${major} is a supported line`)

  const workflow = parse(read('.github/workflows/ci.yml')) as { jobs: Record<string, { strategy?: { matrix: { node: number[] } }, steps: Array<{ run?: string }> }> }
  t.same(workflow.jobs.tests.strategy?.matrix.node, supported, 'GitHub tests every supported line')
  for (const [name, job] of Object.entries(workflow.jobs)) {
    t.ok(job.steps.some((step) => step.run === 'bash .ci/run'), `the ${name} job runs .ci/run, as every other CI run does`)
  }
  t.match(read('scripts/supported-node'), /FROM node:/, 'an older Node is replaced by the image\'s major')
  const scripts = Object.entries(JSON.parse(read('package.json')).scripts as Record<string, string>)
  t.same(scripts.filter(([, script]) => /(^|&& )(node|tap|tsx) /.test(script)).map(([name]) => name), [], 'every npm script that runs node goes through scripts/supported-node')
  t.match(read('.ci/run'), /scripts\/supported-node/, '.ci/run too')
})

t.test('.ci/run provides what the tests need and runs every stage; GitHub runs it in Debian', async (t) => {
  const ci = read('.ci/run')
  for (const command of ['npm ci', 'npm run typecheck', 'npm run lint', 'npm test', 'npm run test:containers']) t.ok(ci.includes(command), `.ci/run: ${command}`)
  for (const tool of ['redis-server', 'chromium', 'promtool', 'dockerd']) t.ok(ci.includes(`command -v ${tool}`), `.ci/run installs ${tool} when it is missing`)
  t.match(ci, /missing\+=\(prometheus\)/, 'promtool comes with Debian\'s prometheus package')
  t.ok(ci.includes('CLEAVE_REQUIRE_BROWSER=1'), 'the page checks may not be skipped')
  const workflow = parse(read('.github/workflows/ci.yml')) as { jobs: { tests: { container: string, env: Record<string, string> }, containers: { env: Record<string, string> } } }
  t.match(workflow.jobs.tests.container, /^node:\$\{\{ matrix\.node \}\}-bookworm$/, 'each line in the Debian image of that Node (Debian\'s chromium)')
  t.same([workflow.jobs.tests.env.CI_STAGES, workflow.jobs.containers.env.CI_STAGES], ['tests', 'containers'], 'one stage per job')
})
