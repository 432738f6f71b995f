import { defineConfig } from 'drizzle-kit'

// One module and dialect at a time, from the schema file scripts/generate-migrations.ts writes
// for it (npm run db:generate): `MODULE=users DIALECT=postgres drizzle-kit generate`.
const { MODULE: module, DIALECT: dialect } = process.env
if (!module || (dialect !== 'sqlite' && dialect !== 'postgres')) throw new Error('Set MODULE, and DIALECT to sqlite or postgres (npm run db:generate does both for every module)')

export default defineConfig({
  dialect: dialect === 'postgres' ? 'postgresql' : 'sqlite',
  schema: `./.drizzle-schema/${module}.${dialect}.ts`,
  out: `./drizzle/${module}/${dialect}`
})
