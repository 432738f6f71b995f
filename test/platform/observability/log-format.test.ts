import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { projectRoot } from '../../helpers/process.js'

function logLines (t: Test, env: Record<string, string>) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'log-line.fixture.ts')], {
    cwd: projectRoot, env: { ...process.env, ...env }, encoding: 'utf8'
  })
  t.equal(run.status, 0, run.stderr)
  return run.stdout.trim().split('\n')
}

t.test('LOG_FORMAT=json (the default): one JSON object a line, secrets redacted', async (t) => {
  for (const env of [{}, { LOG_FORMAT: 'json' }] as Array<Record<string, string>>) {
    const [first, second] = logLines(t, env).map((line) => JSON.parse(line))
    t.match(first, { level: 30, msg: 'a line for a person', service: 'cleave:hello' })
    t.match(second, { level: 40, msg: 'with a secret', headers: { authorization: '[redacted]' } })
  }
})

t.test('LOG_FORMAT=pretty: a line a person reads, with level and message; secrets still redacted', async (t) => {
  const lines = logLines(t, { LOG_FORMAT: 'pretty' })
  const text = lines.join('\n')
  t.throws(() => JSON.parse(lines[0]), 'not JSON')
  t.match(lines[0], /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: a line for a person$/)
  t.match(text, /WARN: with a secret/)
  t.match(text, /authorization": "\[redacted\]"/)
  t.notMatch(text, /do-not-print-me/)
})

t.test('a bad LOG_FORMAT is refused at start-up', async (t) => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/bin/server.ts'], {
    cwd: projectRoot, env: { ...process.env, LOG_FORMAT: 'yaml', PORT: '0' }, encoding: 'utf8'
  })
  t.equal(run.status, 1)
  t.match(run.stderr, /LOG_FORMAT/)
})
