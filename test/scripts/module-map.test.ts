// docs/reference/module-map.md is generated from the contracts; a declaration changed without
// regenerating fails here.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { mapFile, moduleMapReference } from '../../scripts/module-map.js'
import { moduleFlowchart } from '../../src/platform/contracts/module-map.js'
import { registry } from '../helpers/modules.js'

t.test('docs/reference/module-map.md is what the contracts generate', async (t) => {
  const written = existsSync(mapFile) ? readFileSync(mapFile, 'utf8') : ''
  t.equal(written, moduleMapReference(registry), 'docs/reference/module-map.md differs from the contracts: run npm run map and commit the result')
})

t.test('the flowchart: every module, each declared call, each event from publisher to subscriber', async (t) => {
  const chart = moduleFlowchart(registry).split('\n')
  t.equal(chart[0], 'flowchart LR')
  for (const module of registry.names) t.ok(chart.includes(`  m_${module}["${module}"]`), `${module} is a box`)
  for (const module of registry.external) t.ok(chart.includes(`  m_${module}[["${module} (external)"]]`), `${module} is marked external`)
  t.ok(chart.includes('  m_orders -->|calls| m_users'), 'orders calls users')
  t.ok(chart.includes('  m_proxy -->|calls| m_hello'), 'proxy calls hello')
  t.ok(chart.includes('  m_users -.->|user.created| m_notifications'), 'user.created goes to notifications')
  t.ok(chart.includes('  m_shipping -.->|order.shipped| m_notifications'), 'an external module\'s event too')
  t.equal(chart.filter((line) => line.includes('-->|calls|')).length, Object.values(registry.calls).flat().length, 'no call drawn that is not declared')
  t.equal(chart.filter((line) => line.includes('-.->')).length, registry.events.flatMap((event) => event.subscribers).length, 'one arrow per subscriber')
})

t.test('a kebab-case module is a node id Mermaid reads as one', async (t) => {
  const chart = moduleFlowchart({ names: ['stock-levels', 'orders'], external: [], calls: { orders: ['stock-levels'] }, events: [] })
  t.match(chart, /\n {2}m_orders -->\|calls\| m_stock_levels$/)
  t.match(chart, /\n {2}m_stock_levels\["stock-levels"\]\n/)
})
