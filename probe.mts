import { buildApp } from '/work/main/src/platform/app/build-app.ts'
import { loadConfig } from '/work/main/src/platform/config/config.ts'
import { mkdtempSync } from 'node:fs'
const app = await buildApp(loadConfig({ DATA_DIR: mkdtempSync('/tmp/probe-'), LOG_LEVEL: 'warn', ...(process.env.PGURL ? { DATABASE_URL: process.env.PGURL } : {}) }), { modules: ['users'] })
await app.inject({ method: 'POST', url: '/users', payload: { name: 'A', email: 'a@x.io' } })
for (let i = 0; i < 3000; i++) await app.inject('/users/1')
const c = process.cpuUsage(); const n = 10000
for (let i = 0; i < n; i++) await app.inject('/users/1')
const d = process.cpuUsage(c); console.log('GET µs/req', ((d.user + d.system) / n).toFixed(1))
const c2 = process.cpuUsage(); const m = 3000
for (let i = 0; i < m; i++) await app.inject({ method: 'POST', url: '/users', payload: { name: 'A', email: `a${i}@y.io` } })
const d2 = process.cpuUsage(c2); console.log('POST µs/req', ((d2.user + d2.system) / m).toFixed(1))
await app.close()
