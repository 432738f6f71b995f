// npm run contracts:update — publishes each module's current OpenAPI contract to contracts/.
// Run it only when a change to a contract is intended: test/contracts.test.ts compares against these files.
// With module names as arguments (npm run new:module does), only those modules' files are written.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { contractsDir, currentDocuments, serialize, snapshotFile } from './contracts/document.js'

const only = process.argv.slice(2)
const documents = await currentDocuments(only)
mkdirSync(contractsDir, { recursive: true })
for (const [module, document] of documents) {
  const file = snapshotFile(module)
  const text = serialize(document)
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : undefined
  if (previous !== text) writeFileSync(file, text)
  console.log(`${previous === text ? 'unchanged' : 'written  '} contracts/${module}.json`)
}
for (const name of readdirSync(contractsDir).filter((file) => file.endsWith('.json'))) {
  if (only.length > 0) break
  if (documents.has(name.slice(0, -'.json'.length))) continue
  rmSync(join(contractsDir, name))
  console.log(`removed   contracts/${name} (no such module any more)`)
}
