import type { Server } from './servers.js'

/** Creates `count` users through the API (so each also has its outbox row) and returns their ids. */
export async function seedUsers (server: Server, count: number): Promise<number[]> {
  const ids: number[] = []
  for (let i = 1; i <= count; i++) {
    const response = await fetch(`${server.url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: `Bench User ${i}`, email: `user${i}@bench.example` })
    })
    if (response.status !== 201) throw new Error(`seeding user ${i}: HTTP ${response.status} ${await response.text()}`)
    ids.push(((await response.json()) as { id: number }).id)
  }
  return ids
}
