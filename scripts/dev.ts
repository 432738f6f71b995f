// npm run dev — the server under node --watch, without the drain delay, its logs pretty on a terminal.
import { spawn } from 'node:child_process'
import { logFormatFor } from './dev/log-format.js'

const server = spawn(process.execPath, ['--import', 'tsx', '--watch', 'src/bin/server.ts'], {
  stdio: 'inherit',
  env: { ...process.env, DRAIN_DELAY_MS: '0', LOG_FORMAT: logFormatFor(process.env, process.stdout.isTTY) }
})

// Ctrl-C reaches the server too (one process group): wait for it to close. A SIGTERM to this runner is passed on.
process.on('SIGINT', () => {})
process.on('SIGTERM', () => server.kill('SIGTERM'))
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
