import { everyModule, type ModuleGraph } from '../primitives/module-graph.js'

/** Where a running process finds a module, for its /docs/map. */
export interface ModulePlace {
  /** here: mounted by this process; remote: instances known elsewhere; absent: none known. */
  where: 'here' | 'remote' | 'absent'
  /** The instances discovery knows (remote only). */
  instances: string[]
  /** Those of them out of rotation (ejected, or failing their health checks). */
  ejected: string[]
  /** The state of this process's breaker for it, once it has called it. */
  breaker?: 'closed' | 'open' | 'half-open'
}

// A Mermaid node id: module names are kebab-case, which a flowchart would read as an arrow.
const nodeId = (module: string) => `m_${module.replaceAll('-', '_')}`

function placeLines ({ where, instances, ejected, breaker }: ModulePlace): string[] {
  if (where === 'here') return ['here']
  if (where === 'absent') return ['no instance known']
  return [`${instances.length - ejected.length} of ${instances.length} in rotation`, ...breaker ? [`breaker ${breaker}`] : []]
}

function placeClass ({ where, instances, ejected, breaker }: ModulePlace): string {
  if (where === 'remote' && (breaker === 'open' || ejected.length === instances.length)) return 'down'
  return where
}

const classes = [
  '  classDef here fill:#d8f3dc,stroke:#2d6a4f',
  '  classDef remote fill:#dbe9f6,stroke:#1d4e89',
  '  classDef down fill:#fde2e1,stroke:#b42318',
  '  classDef absent stroke-dasharray:4 3'
]

/**
 * The module graph as a Mermaid flowchart: each module a box (an external one a double-sided box),
 * a call a solid arrow, an event a dotted arrow from its publisher to each subscriber, named. With
 * `places`, each box also says where the running process finds the module, coloured by it.
 */
export function moduleFlowchart (graph: ModuleGraph, places?: ReadonlyMap<string, ModulePlace>): string {
  const lines = ['flowchart LR']
  for (const module of everyModule(graph)) {
    const place = places?.get(module)
    const label = [graph.external.includes(module) ? `${module} (external)` : module, ...place ? placeLines(place) : []].join('<br/>')
    lines.push(graph.external.includes(module) ? `  ${nodeId(module)}[["${label}"]]` : `  ${nodeId(module)}["${label}"]`)
  }
  for (const [module, targets] of Object.entries(graph.calls).sort()) {
    for (const target of targets) lines.push(`  ${nodeId(module)} -->|calls| ${nodeId(target)}`)
  }
  for (const { name, publisher, subscribers } of graph.events) {
    for (const subscriber of subscribers) lines.push(`  ${nodeId(publisher)} -.->|${name}| ${nodeId(subscriber)}`)
  }
  if (places) {
    lines.push(...classes)
    for (const [module, place] of [...places].sort(([a], [b]) => a.localeCompare(b))) lines.push(`  class ${nodeId(module)} ${placeClass(place)}`)
  }
  return lines.join('\n')
}
