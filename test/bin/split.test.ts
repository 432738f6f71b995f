// npm run split and Ctrl-C: the terminal sends SIGINT to the whole process group.
import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { tempDir } from '../helpers/app.js'
import { freePort, projectRoot } from '../helpers/process.js'
import { until } from '../helpers/until.js'

// notifications handles only events of users and orders: in a process of its own without Redis
// it would wait forever, so the runner leaves it out and says so.
const modules = ['users', 'notifications', 'hello']
const started = ['users', 'hello']
const names = [...started, 'gateway']
const wal = (dir: string) => readdirSync(dir).filter((file) => file.endsWith('.sqlite-wal'))

t.test('Ctrl-C stops every process of the split cleanly, without the drain wait', async (t) => {
  const dataDir = tempDir(t)
  const port = await freePort()
  // DRAIN_DELAY_MS stays at its default (5 s): Ctrl-C must not wait for it.
  const runner = spawn(process.execPath, ['--import', 'tsx', 'src/bin/split.ts'], {
    cwd: projectRoot,
    env: { ...process.env, MODULES: modules.join(','), PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true // a process group of its own, led by the runner, as a shell makes for a command
  })
  const exited = once(runner, 'close').then(([code]) => code as number | null)
  t.teardown(async () => {
    if (runner.exitCode === null && runner.signalCode === null) {
      try { process.kill(-runner.pid!, 'SIGKILL') } catch {}
      await exited
    }
  })
  const lines: Array<{ name: string, line: string }> = []
  const said: string[] = []
  for (const stream of [runner.stdout, runner.stderr]) {
    createInterface({ input: stream }).on('line', (text) => {
      said.push(text)
      const match = /^(\S+)\s+\| (.*)$/.exec(text)
      if (match) lines.push({ name: match[1], line: match[2] })
    })
  }
  const logged = (name: string, msg: string) => lines.some((entry) => entry.name === name && entry.line.includes(`"msg":"${msg}"`))

  const gateway = `http://127.0.0.1:${port}`
  await until(async () => (await fetch(`${gateway}/health/ready`).catch(() => undefined))?.ok, { what: 'the gateway ready', timeoutMs: 60_000 })
  for (const [i, module] of modules.entries()) {
    if (!started.includes(module)) continue
    await until(async () => (await fetch(`http://127.0.0.1:${port + 1 + i}/health/ready`).catch(() => undefined))?.ok, { what: `${module} ready`, timeoutMs: 60_000 })
  }
  const created = await fetch(`${gateway}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }) })
  t.equal(created.status, 201, 'the split serves through the gateway')
  t.ok(wal(dataDir).includes('users.sqlite-wal'), `open databases have their WAL files (${wal(dataDir).join(', ')})`)
  for (const name of names) t.ok(lines.some((entry) => entry.name === name), `${name}'s lines are prefixed with its name`)
  t.ok(said.some((text) => text.startsWith('split: notifications left out: REDIS_URL: notifications handles order.placed, user.created')), 'notifications is left out, saying why')
  t.notOk(lines.some((entry) => entry.name === 'notifications'), 'and never started')

  const interrupted = Date.now()
  process.kill(-runner.pid!, 'SIGINT')
  const code = await exited
  const elapsed = Date.now() - interrupted
  t.equal(code, 0, 'the runner exits 0')
  for (const name of names) {
    t.ok(logged(name, 'closed'), `${name} closed`)
    t.notOk(lines.some((entry) => entry.name === name && /second SIG/.test(entry.line)), `${name} got one signal`)
  }
  t.ok(elapsed < 3000, `stopped in ${elapsed} ms, not after a ${5000} ms drain`)
  t.same(wal(dataDir), [], 'every database closed: no WAL file left')
})
