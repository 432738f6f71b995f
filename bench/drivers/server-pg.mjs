import pg from 'pg'
import { drizzle } from 'drizzle-orm/node-postgres'
import { start } from './app.mjs'

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: 10,
  idleTimeoutMillis: 0, // keep connections across the idle gaps while the other driver is measured
  options: '-c search_path=users',
  application_name: 'bench_pg',
})
const db = drizzle({ client: pool })
await start(db, () => pool.end())
