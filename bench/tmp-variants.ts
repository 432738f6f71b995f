import { join } from 'node:path'
import { load } from './load.js'
import { startServer, stopServer, workspace } from './servers.js'
import { seedUsers } from './seed.js'
const { dir, cleanUp } = workspace('variants')
const dataDir = join(dir, 'data')
try {
  const seeder = await startServer('seeder', 'src/bin/server.ts', { MODULES: 'all', DATA_DIR: dataDir }, join(dir, 's.log'))
  const ids = await seedUsers(seeder, 300)
  await stopServer(seeder)
  const variants: Record<string, Record<string, string>> = JSON.parse(process.env.VARIANTS!)
  const servers = []
  for (const [name, env] of Object.entries(variants)) servers.push(await startServer(name, 'src/bin/server.ts', { MODULES: 'all', DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env }, join(dir, `${name}.log`)))
  for (const s of servers) await load(s, { connections: 10, duration: 3, path: (n) => `/users/${ids[n % ids.length]}` })
  const results: Record<string, number[]> = {}
  for (let round = 0; round < Number(process.env.ROUNDS ?? 7); round++) {
    const order = round % 2 ? [...servers].reverse() : servers
    for (const s of order) (results[s.name] ??= []).push((await load(s, { connections: 10, duration: 4, path: (n) => `/users/${ids[n % ids.length]}` })).reqPerSec)
  }
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]
  const base = med(results[servers[0].name])
  for (const [name, v] of Object.entries(results)) console.log(name.padEnd(20), Math.round(med(v)), (med(v) / base).toFixed(3))
} finally { await cleanUp() }
process.exit(0)
