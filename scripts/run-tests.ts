// npm test: every test file on SQLite, then the files that say `// dialects: sqlite postgres` once
// more on PostgreSQL (CLEAVE_TEST_DATABASE=postgres): one matrix, chosen here, instead of a twin
// file per dialect (platformatic's sql-mapper runs its DB matrix the same way). One summary line
// counts both runs. Files given after `--` narrow it; flags (`--bail`, `--grep=…`) go to tap.
// npm run test:quick: the files that need no service and start no process, on SQLite, each run by
// node itself (a tap file is a program; tap's own runner costs ~2.5 s a file, more than most take).
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const dialectsMarker = /^\/\/ dialects: sqlite postgres$/m
// Helpers that start a service or a process: a file that reaches one, however indirectly, is not quick.
const slowHelpers = ['helpers/process.ts', 'helpers/redis.ts', 'helpers/redis-process.ts', 'helpers/rabbitmq.ts', 'helpers/python.ts', 'helpers/browser.ts', 'helpers/docker.ts', 'topology/topologies.ts']
// The machine's PostgreSQL, reached whatever the dialect (helpers/database.ts defines these; it
// reaches PostgreSQL itself only in the dialect matrix's PostgreSQL run).
const usesPostgres = /\b(createTestDatabase|postgresServerUrl|adminQuery)\(/
const databaseHelper = join('test', 'helpers', 'database.ts')
const startsProcess = /(?<![.\w])(spawn|spawnSync|execFile|execFileSync|execSync|fork)\(/
const importPattern = /(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g

function testFiles (): string[] {
  return readdirSync(join(root, 'test'), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .filter((file) => !file.startsWith('test/containers/'))
    .sort()
}

function isQuick (file: string, seen = new Set<string>()): boolean {
  if (seen.has(file)) return true
  seen.add(file)
  if (slowHelpers.some((helper) => file === join('test', helper))) return false
  const source = readFileSync(join(root, file), 'utf8')
  if (file !== databaseHelper && usesPostgres.test(source)) return false
  if (startsProcess.test(source)) return false
  return [...source.matchAll(importPattern)]
    .map((match) => relative(root, resolve(root, dirname(file), match[1] ?? match[2])).replace(/\.js$/, '.ts'))
    // The platform starts nothing at import; a test's helpers and the scripts it runs might.
    // Source text quoted inside a test (the architecture test's made-up trees) names no real file.
    .filter((imported) => !imported.startsWith('src/') && existsSync(join(root, imported)))
    .every((imported) => isQuick(imported, seen))
}

interface Totals { total: number, pass: number, fail: number, skip: number, todo: number }

// Streams tap's output and keeps its last summary line, `# { total: 12, pass: 11, fail: 1 }`.
function tap (files: string[], flags: string[], env: Record<string, string>): Promise<{ code: number, totals: Totals }> {
  return new Promise((resolve) => {
    const totals: Totals = { total: 0, pass: 0, fail: 0, skip: 0, todo: 0 }
    const child = spawn('tap', [...flags, ...files], { cwd: root, env: { ...process.env, ...env }, stdio: ['inherit', 'pipe', 'inherit'] })
    let tail = ''
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk)
      tail = (tail + chunk.toString()).slice(-4096)
    })
    child.on('close', (code) => {
      const summary = [...tail.matchAll(/^# \{ (total: \d+[^}]*) \}$/gm)].at(-1)?.[1] ?? ''
      for (const [, name, count] of summary.matchAll(/(\w+): (\d+)/g)) if (name in totals) totals[name as keyof Totals] = Number(count)
      resolve({ code: code ?? 1, totals })
    })
  })
}

// Each file in a node of its own, as many at once as there are cores; its output printed whole when it ends.
async function direct (files: string[]): Promise<{ code: number, totals: Totals }> {
  const totals: Totals = { total: 0, pass: 0, fail: 0, skip: 0, todo: 0 }
  let code = 0
  const queue = [...files]
  async function worker () {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const started = performance.now()
      const run = await new Promise<{ status: number, output: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, env: { ...process.env, TAP_TIMEOUT: '120' } })
        let output = ''
        child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
        child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
        child.on('close', (status) => resolve({ status: status ?? 1, output }))
      })
      const seconds = ((performance.now() - started) / 1000).toFixed(1)
      console.log(`# ${file} (${seconds} s)${run.status === 0 ? '' : ' FAILED'}\n${run.output.replace(/^/gm, '    ')}`)
      if (run.status !== 0) code = 1
      const summary = [...run.output.matchAll(/^# \{ (total: \d+[^}]*) \}$/gm)].at(-1)?.[1] ?? ''
      for (const [, name, count] of summary.matchAll(/(\w+): (\d+)/g)) if (name in totals) totals[name as keyof Totals] += Number(count)
      if (run.status !== 0 && !/fail: [1-9]/.test(summary)) totals.fail += 1
    }
  }
  await Promise.all(Array.from({ length: availableParallelism() }, worker))
  return { code, totals }
}

const [mode, ...args] = process.argv.slice(2)
const flags = args.filter((arg) => arg.startsWith('-'))
const given = args.filter((arg) => !arg.startsWith('-')).map((file) => relative(root, resolve(file)))
const files = given.length > 0 ? given : testFiles()
const runs: Array<{ files: string[], env: Record<string, string> }> = mode === 'quick'
  ? [{ files: files.filter((file) => isQuick(file)), env: {} }]
  : [
      { files, env: {} },
      { files: files.filter((file) => dialectsMarker.test(readFileSync(join(root, file), 'utf8'))), env: { CLEAVE_TEST_DATABASE: 'postgres' } }
    ]

const sum: Totals = { total: 0, pass: 0, fail: 0, skip: 0, todo: 0 }
let failed = false
for (const run of runs.filter(({ files }) => files.length > 0)) {
  if (run.env.CLEAVE_TEST_DATABASE) console.log(`\n# the same ${run.files.length} files again, on PostgreSQL`)
  const { code, totals } = mode === 'quick' ? await direct(run.files) : await tap(run.files, flags, run.env)
  failed ||= code !== 0
  for (const key of Object.keys(sum) as Array<keyof Totals>) sum[key] += totals[key]
}
const counts = Object.entries(sum).filter(([name, count]) => count > 0 || name === 'total' || name === 'pass')
console.log(`# { ${counts.map(([name, count]) => `${name}: ${count}`).join(', ')} }`)
process.exit(failed ? 1 : 0)
