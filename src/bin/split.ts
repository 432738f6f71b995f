// Runs the split on one machine: one server process per module (ports PORT+1…) and the gateway
// on PORT, wired with static discovery. For trying the split locally, not for production.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { serviceUrlKey } from '../platform/config/config.js'
import { loadConfigOrExit } from '../platform/app/serve.js'

const config = loadConfigOrExit()
const entry = (bin: string) => fileURLToPath(new URL(`./${bin}${import.meta.url.slice(-3)}`, import.meta.url))
const urls = Object.fromEntries(config.modules.map((module, i) => [module, `http://${config.HOST}:${config.PORT + 1 + i}`]))
const discovery = Object.fromEntries(config.modules.map((module) => [serviceUrlKey(module), urls[module]]))
// The processes of this split sign their calls to each other; one made up here unless given.
const secret = config.SERVICE_SECRET ?? randomBytes(32).toString('base64url')

const children: ChildProcess[] = []
function start (bin: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [...process.execArgv, entry(bin)], { env: { ...process.env, ...discovery, SERVICE_SECRET: secret, ...env }, stdio: 'inherit' })
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`${env.SERVICE_NAME} exited (${signal ?? code}); stopping the split`)
    stop()
  })
  children.push(child)
}

let stopping = false
function stop () {
  if (stopping) return
  stopping = true
  for (const child of children) child.kill('SIGTERM')
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)

for (const module of config.modules) {
  start('server', { MODULES: module, PORT: new URL(urls[module]).port, SERVICE_NAME: `cleave:${module}` })
}
start('gateway', { MODULES: 'all', PORT: String(config.PORT), SERVICE_NAME: 'cleave:gateway' })
console.error(`gateway on http://${config.HOST}:${config.PORT}; ${Object.entries(urls).map(([m, u]) => `${m} ${u}`).join(', ')}`)
