// npm run verify -- <module> [base-url]: holds a running implementation of the module, in any
// language, to its contract. Without base-url, the module's SERVICE_<MODULE>_URL is used.
import { loadConfigOrExit } from '../platform/app/serve.js'
import { serviceUrlKey } from '../platform/config/config.js'
import { moduleRegistry } from '../platform/contracts/module-registry.js'
import { verifyModule } from '../platform/contracts/verify/verify-module.js'

function fail (message: string): never {
  console.error(message)
  process.exit(1)
}

const [module, given] = process.argv.slice(2)
if (!module) fail('usage: npm run verify -- <module> [base-url]')
const contract = moduleRegistry.contracts.get(module)
if (!contract) fail(`unknown module "${module}" (known: ${[...moduleRegistry.contracts.keys()].join(', ')})`)
const baseUrl = given ?? loadConfigOrExit().services[module]?.[0]
if (!baseUrl) fail(`no base URL: pass one, or set ${serviceUrlKey(module)}`)
if (!URL.canParse(baseUrl)) fail(`base URL: expected an http:// URL, got ${JSON.stringify(baseUrl)}`)

const { target, operations, requests, violations } = await verifyModule(contract, baseUrl)
for (const violation of violations) console.log(violation)
const summary = `${module} at ${target}: ${operations} operation${operations === 1 ? '' : 's'}, ${requests} requests`
if (violations.length > 0) fail(`${summary}, ${violations.length} violation${violations.length === 1 ? '' : 's'} of the contract`)
console.log(`${summary}, every answer keeps the contract`)
