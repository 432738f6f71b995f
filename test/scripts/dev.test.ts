import t, { type Test } from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { logFormatFor } from '../../scripts/dev/log-format.js'
import { freePort, projectRoot } from '../helpers/process.js'
import { until } from '../helpers/until.js'

t.test('logFormatFor: pretty on a terminal, JSON otherwise, an explicit LOG_FORMAT wins', async (t) => {
  t.equal(logFormatFor({}, true), 'pretty')
  t.equal(logFormatFor({}, false), 'json')
  t.equal(logFormatFor({}, undefined), 'json', 'a pipe or a file has no isTTY')
  t.equal(logFormatFor({ LOG_FORMAT: '' }, true), 'pretty', 'an empty LOG_FORMAT is unset')
  t.equal(logFormatFor({ LOG_FORMAT: 'json' }, true), 'json')
  t.equal(logFormatFor({ LOG_FORMAT: 'pretty' }, false), 'pretty')
})

// Every process started with this DATA_DIR. script(1) runs its command in a session of its own,
// out of reach of a kill of the test's process group: the server under it would outlive the test.
function processesWith (dataDir: string): number[] {
  const mine = `DATA_DIR=${dataDir}\0`
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(mine)
    } catch {
      return false
    }
  })
}

// npm run dev for real, until its first request's access-log line, then stopped: its process
// group, and every process that carries its DATA_DIR.
async function devOutput (t: Test, command: string[], env: Record<string, string> = {}): Promise<string> {
  const port = await freePort()
  const { NO_COLOR: _noColor, FORCE_COLOR: _forceColor, ...inherited } = process.env
  const dataDir = mkdtempSync(join(tmpdir(), 'cleave-dev-'))
  const child = spawn(command[0], command.slice(1), {
    cwd: projectRoot,
    detached: true,
    env: { ...inherited, LOG_FORMAT: '', PORT: String(port), MODULES: 'hello', DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const closed = once(child, 'close')
  t.teardown(async () => {
    process.kill(-child.pid!, 'SIGKILL')
    for (const pid of processesWith(dataDir)) process.kill(pid, 'SIGKILL')
    await closed
    await until(() => processesWith(dataDir).length === 0, { what: 'every npm run dev process gone' })
    rmSync(dataDir, { recursive: true, force: true })
  })
  let output = ''
  child.stdout.on('data', (chunk) => { output += chunk })
  child.stderr.on('data', (chunk) => { output += chunk })
  await until(() => fetch(`http://127.0.0.1:${port}/service`).then((res) => res.ok, () => false), { timeoutMs: 60_000, what: 'npm run dev answering' })
  await until(() => output.includes('/service'), { what: 'the access-log line' })
  return output
}

t.test('npm run dev into a pipe logs JSON', async (t) => {
  const lines = (await devOutput(t, ['npm', 'run', '--silent', 'dev'])).trim().split('\n').filter((line) => line.startsWith('{'))
  const access = lines.map((line) => JSON.parse(line)).find((line) => line.url === '/service')
  t.match(access, { level: 30, method: 'GET', status: 200 })
})

const hasScript = spawnSync('script', ['--version']).status === 0
t.test('npm run dev on a terminal logs pretty lines', { skip: hasScript ? false : 'no script(1) to give it a pseudo-terminal' }, async (t) => {
  // script(1) runs the command on a pseudo-terminal, so its stdout is a TTY.
  const output = await devOutput(t, ['script', '-qfec', 'npm run --silent dev', '/dev/null'], { TERM: 'xterm-256color' })
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '') // eslint-disable-line no-control-regex
  t.match(plain, /\[\d\d:\d\d:\d\d\.\d{3}\] INFO: request\r?\n(?:\s+\w+: .*\r?\n)*?\s+url: "\/service"/, 'a human line for the request, its fields below it')
  t.match(output, /\x1b\[32mINFO/, 'INFO in green') // eslint-disable-line no-control-regex
  t.notOk(plain.split(/\r?\n/).some((line) => line.startsWith('{"level"')), 'no JSON line')
})
