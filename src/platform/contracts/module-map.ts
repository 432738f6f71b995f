import type { ModuleGraph } from '../primitives/module-graph.js'

// A Mermaid node id: module names are kebab-case, which a flowchart would read as an arrow.
const nodeId = (module: string) => `m_${module.replaceAll('-', '_')}`

/**
 * The module graph as a Mermaid flowchart: each module a box (an external one a double-sided box),
 * a call a solid arrow, an event a dotted arrow from its publisher to each subscriber, named.
 */
export function moduleFlowchart (graph: ModuleGraph): string {
  const lines = ['flowchart LR']
  for (const module of [...graph.names, ...graph.external].sort()) {
    lines.push(graph.external.includes(module) ? `  ${nodeId(module)}[["${module} (external)"]]` : `  ${nodeId(module)}["${module}"]`)
  }
  for (const [module, targets] of Object.entries(graph.calls).sort()) {
    for (const target of targets) lines.push(`  ${nodeId(module)} -->|calls| ${nodeId(target)}`)
  }
  for (const { name, publisher, subscribers } of graph.events) {
    for (const subscriber of subscribers) lines.push(`  ${nodeId(publisher)} -.->|${name}| ${nodeId(subscriber)}`)
  }
  return lines.join('\n')
}
