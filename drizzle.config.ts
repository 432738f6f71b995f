import { defineConfig } from 'drizzle-kit'

// One module at a time: `MODULE=users drizzle-kit generate` (npm run db:generate loops over them).
const module = process.env.MODULE
if (!module) throw new Error('Set MODULE to the module whose migrations to generate')

export default defineConfig({
  dialect: 'sqlite',
  schema: `./src/modules/${module}/store.ts`,
  out: `./drizzle/${module}`
})
