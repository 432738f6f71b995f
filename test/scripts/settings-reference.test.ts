// docs/reference/settings.md is generated from the config schema; a description changed without regenerating fails here.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { settingsFile, settingsReference } from '../../scripts/settings-reference.js'
import { ConfigSchema, patternSettings } from '../../src/platform/config/config.js'

const reference = settingsReference()

t.test('docs/reference/settings.md is what the schema generates', async (t) => {
  const written = existsSync(settingsFile) ? readFileSync(settingsFile, 'utf8') : ''
  t.equal(written, reference, 'docs/reference/settings.md differs from the config schema: run npm run docs:settings and commit the result')
})

t.test('every setting has a row', async (t) => {
  for (const key of Object.keys(ConfigSchema.properties)) t.match(reference, `\n| \`${key}\` |`, `${key} has a row`)
  for (const { name } of patternSettings) t.match(reference, `\n| \`${name}\` |`, `${name} has a row`)
})
