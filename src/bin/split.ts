// Runs the split on one machine: one server process per module (ports PORT+1…) and the gateway
// on PORT, wired with static discovery. For trying the split locally, not for production.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { serviceUrlKey } from '../platform/config/module-keys.js'
import { loadModuleRegistry } from '../platform/contracts/module-registry.js'
import { reachOf, unreachable } from '../platform/config/reachability.js'
import { loadConfigOrExit } from '../platform/app/serve.js'

const registry = await loadModuleRegistry()
const config = loadConfigOrExit(registry)
const entry = (bin: string) => fileURLToPath(new URL(`./${bin}${import.meta.url.slice(-3)}`, import.meta.url))
const urls = Object.fromEntries(config.modules.map((module, i) => [module, `http://${config.HOST}:${config.PORT + 1 + i}`]))
// A module that could not work in a process of its own here (without Redis, one whose events all
// come from other processes) would refuse to start and stop the split: it is left out, saying why.
const modules = config.modules.filter((module) => {
  const problems = unreachable(registry, { ...reachOf(config, [module]), services: [...config.modules, ...Object.keys(config.services)] })
  for (const problem of problems) console.error(`split: ${module} left out: ${problem}`)
  return problems.length === 0
})
const discovery = Object.fromEntries(modules.map((module) => [serviceUrlKey(module), urls[module]]))
// The processes of this split sign their calls to each other; one made up here unless given.
const secret = config.SERVICE_SECRET ?? randomBytes(32).toString('base64url')
const width = Math.max(...[...modules, 'gateway'].map((name) => name.length))

// Each line a child writes, prefixed with its name.
function prefix (name: string, input: NodeJS.ReadableStream, output: NodeJS.WritableStream) {
  createInterface({ input, crlfDelay: Infinity }).on('line', (line) => output.write(`${name.padEnd(width)} | ${line}\n`))
}

// Children get their own process group (detached), so a terminal's Ctrl-C reaches only this
// runner, which passes it on once: a child that got SIGINT from the terminal and SIGTERM from
// here would take the second as "exit now" and leave its databases open.
const children: ChildProcess[] = []
let running = 0
function start (name: string, bin: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [...process.execArgv, entry(bin)], {
    env: { ...process.env, ...discovery, SERVICE_SECRET: secret, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true
  })
  prefix(name, child.stdout!, process.stdout)
  prefix(name, child.stderr!, process.stderr)
  running++
  child.on('close', (code, signal) => {
    running--
    if (code !== 0) process.exitCode = 1
    if (!stopping) console.error(`${name} exited (${signal ?? code}); stopping the split`)
    stop('SIGINT')
  })
  children.push(child)
}

let stopping = false
// SIGINT closes without the drain (nothing to drain from on one machine); SIGTERM drains as in production.
function stop (signal: 'SIGINT' | 'SIGTERM') {
  if (stopping) return
  stopping = true
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal)
}
process.on('SIGINT', () => stop('SIGINT'))
process.on('SIGTERM', () => stop('SIGTERM'))
// Never leave a child behind when the runner itself goes.
process.on('exit', () => { if (running > 0) for (const child of children) child.kill('SIGKILL') })

for (const module of modules) {
  start(module, 'server', { MODULES: module, PORT: new URL(urls[module]).port, SERVICE_NAME: `cleave:${module}` })
}
start('gateway', 'gateway', { MODULES: modules.join(','), PORT: String(config.PORT), SERVICE_NAME: 'cleave:gateway' })
console.error(`gateway on http://${config.HOST}:${config.PORT}; ${modules.map((module) => `${module} ${urls[module]}`).join(', ')}`)
