import type { Server } from './servers.js'

/** Creates `count` users through the API (so each also has its outbox row) and returns their ids. */
export async function seedUsers (server: Server, count: number): Promise<number[]> {
  const ids: number[] = []
  for (let i = 1; i <= count; i++) ids.push(await create(server, '/users', { name: `Bench User ${i}`, email: `user${i}@bench.example` }))
  return ids
}

// A faster baseline that answers differently would make the ratio meaningless, so compare bytes first.
export async function assertSameUsers (servers: Server[], ids: number[]): Promise<void> {
  for (const id of [ids[0], ids[Math.floor(ids.length / 2)], ids[ids.length - 1]]) {
    const bodies = await Promise.all(servers.map(async (server) => (await fetch(`${server.url}/users/${id}`)).text()))
    if (new Set(bodies).size !== 1) throw new Error(`servers disagree on /users/${id}:\n${servers.map((server, i) => `${server.name}: ${bodies[i]}`).join('\n')}`)
  }
}

async function create (server: Server, path: string, body: unknown): Promise<number> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body)
  })
  if (response.status !== 201) throw new Error(`seeding POST ${path}: HTTP ${response.status} ${await response.text()}`)
  return ((await response.json()) as { id: number }).id
}

/** `users` users and `orders` orders of theirs (round robin, 1 to 3 items each); returns the order ids. */
export async function seedOrders (server: Server, users: number, orders: number): Promise<number[]> {
  const userIds = await seedUsers(server, users)
  const orderIds: number[] = []
  for (let i = 1; i <= orders; i++) {
    const items = Array.from({ length: 1 + (i % 3) }, (_, k) => ({ sku: `SKU-${(i + k) % 50}`, qty: 1 + ((i + k) % 5) }))
    orderIds.push(await create(server, '/orders', { userId: userIds[i % users], items }))
  }
  return orderIds
}
