// npm run verify -- <module> [base-url] [--timeout <ms>] [--deadline <ms>] [--max-bytes <n>] [--strict]:
// holds a running implementation of the module, in any language, to its contract. Without
// base-url, the module's SERVICE_<MODULE>_URL is used. Exits 1 on a violation of the contract;
// an answer that breaks only a Cleave convention the document cannot express is a warning,
// a failure with --strict.
import { parseArgs } from 'node:util'
import { loadConfigOrExit } from '../platform/app/serve.js'
import { serviceUrlKey } from '../platform/config/module-keys.js'
import { loadModuleRegistry } from '../platform/contracts/module-registry.js'
import { defaultLimits, verifyModule } from '../platform/contracts/verify/verify-module.js'

const usage = 'usage: npm run verify -- <module> [base-url] [--timeout <ms>] [--deadline <ms>] [--max-bytes <n>] [--strict]'

function fail (message: string): never {
  console.error(message)
  process.exit(1)
}

function readArgs () {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        timeout: { type: 'string', default: String(defaultLimits.timeoutMs) },
        deadline: { type: 'string', default: String(defaultLimits.deadlineMs) },
        'max-bytes': { type: 'string', default: String(defaultLimits.maxBytes) },
        strict: { type: 'boolean', default: false }
      }
    })
  } catch (error) {
    fail(`${(error as Error).message}\n${usage}`)
  }
}

function positive (name: string, text: string): number {
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value < 1) fail(`--${name}: expected a whole number, 1 or more, got ${JSON.stringify(text)}`)
  return value
}

const { positionals: [module, given, ...extra], values } = readArgs()
if (!module || extra.length > 0) fail(usage)
const limits = { timeoutMs: positive('timeout', values.timeout), deadlineMs: positive('deadline', values.deadline), maxBytes: positive('max-bytes', values['max-bytes']) }
const registry = await loadModuleRegistry()
const contract = registry.contracts.get(module)
if (!contract) fail(`unknown module "${module}" (known: ${[...registry.contracts.keys()].join(', ')})`)
const baseUrl = given ?? loadConfigOrExit(registry).services[module]?.[0]
if (!baseUrl) fail(`no base URL: pass one, or set ${serviceUrlKey(module)}`)
if (!URL.canParse(baseUrl)) fail(`base URL: expected an http:// URL, got ${JSON.stringify(baseUrl)}`)

const { target, operations, requests, violations, warnings } = await verifyModule(contract, baseUrl, limits)
for (const violation of violations) console.log(violation)
for (const warning of warnings) console.log(`warning (a Cleave convention): ${warning}`)
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
const summary = `${module} at ${target}: ${plural(operations, 'operation')}, ${requests} requests`
const warned = warnings.length > 0 ? `, ${plural(warnings.length, 'warning')}` : ''
if (violations.length > 0) fail(`${summary}, ${plural(violations.length, 'violation')} of the contract${warned}`)
if (values.strict && warnings.length > 0) fail(`${summary}${warned}, failures with --strict`)
console.log(`${summary}, every answer keeps the contract${warned}`)
