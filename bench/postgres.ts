// The bench's own PostgreSQL databases, and waiting for the users outbox to drain.
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { adminQuery, postgresServerUrl } from '../test/helpers/database.js'
import { stopServers } from './servers.js'

/**
 * A database with a random name, `cleave_bench_<12 hex digits>`, on the machine's PostgreSQL,
 * dropped at clean-up (servers stopped first), also on failure or Ctrl-C. The closer waits for
 * the create, so an interrupt during it cannot drop before the database exists.
 */
export async function benchDatabase (closers: Array<() => Promise<void>>): Promise<{ name: string, url: string }> {
  const name = `cleave_bench_${randomBytes(6).toString('hex')}`
  const created = adminQuery(`create database ${name}`)
  closers.push(async () => {
    await stopServers()
    await created.catch(() => undefined)
    await adminQuery(`drop database if exists ${name} with (force)`)
  })
  await created
  return { name, url: postgresServerUrl(name) }
}

// The app ships each new user's user.created from its outbox after the request: a backlog left
// by a POST run is worked off before the next run starts.
export async function outboxDrained (databaseUrl: string): Promise<void> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    const { rows } = await adminQuery('select count(*)::int as pending from users.outbox where sent_at is null', databaseUrl)
    if ((rows[0] as { pending: number }).pending === 0) return
    await sleep(50)
  }
  throw new Error('users.outbox: rows still pending after 60 s')
}
