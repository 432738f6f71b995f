import postgres from 'postgres'
import { drizzle } from 'drizzle-orm/postgres-js'
import { start } from './app.mjs'

const sql = postgres(process.env.DATABASE_URL, {
  max: 10, // idle_timeout defaults to none
  connection: { search_path: 'users', application_name: 'bench_postgresjs' },
})
const db = drizzle({ client: sql })
await start(db, () => sql.end({ timeout: 2 }))
