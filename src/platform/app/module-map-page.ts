// GET /docs/map: the module graph as this process sees it, drawn: which modules are here, which
// elsewhere and at which instances, with this process's breaker for each. GET /docs/map.mmd is
// the same drawing as Mermaid text, the form docs/reference/module-map.md shows without places.
import type { FastifyInstance } from 'fastify'
import { moduleFlowchart, type ModulePlace } from '../contracts/module-map.js'
import { everyModule, type ModuleGraph } from '../primitives/module-graph.js'
import { within } from '../primitives/within.js'
import { serviceName } from '../config/service-name.js'
import { createMermaidDrawer } from './mermaid-drawer.js'

export interface ModuleMapOptions {
  graph: ModuleGraph
  /** The modules this process mounts (none for the gateway). */
  here: readonly string[]
}

/** Longest a page waits for discovery (Redis may be slow or gone): past it a module shows no instance. */
const discoveryWaitMs = 1000

// A drawing is made only when the graph or a place changes, and the last few are kept.
const keptDrawings = 8

// Its SVG imports a web font from Google's servers; the page makes no outside request, so the
// import goes (the page's CSP would block it anyway) and text falls back to the system font.
const fontImport = /\s*@import url\([^)]*\);/g

// Served with a policy of its own: nothing but this page's own inline styles.
const pagePolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)

export default async function moduleMapPage (app: FastifyInstance, { graph, here }: ModuleMapOptions) {
  const drawings = new Map<string, string>()
  const drawer = createMermaidDrawer()
  app.addHook('onClose', () => drawer.close())

  async function places (): Promise<Map<string, ModulePlace>> {
    const [breakers = {}, ejected = {}] = await Promise.all([app.health.section('dependencies'), app.health.section('ejected')])
    const found = await Promise.all(everyModule(graph).map(async (module): Promise<[string, ModulePlace]> => {
      if (here.includes(module)) return [module, { where: 'here', instances: [], ejected: [] }]
      const instances = await within(app.discovery.resolver.instances(module), discoveryWaitMs, [])
      return [module, {
        where: instances.length > 0 ? 'remote' : 'absent',
        instances,
        ejected: instances.filter((url) => ejected[url] !== undefined),
        breaker: breakers[module]?.state
      }]
    }))
    return new Map(found)
  }

  async function drawing (source: string): Promise<string> {
    let svg = drawings.get(source)
    if (svg === undefined) {
      svg = (await drawer.draw(source)).replace(fontImport, '')
      if (drawings.size >= keptDrawings) drawings.delete(drawings.keys().next().value!)
      drawings.set(source, svg)
    }
    return svg
  }

  const hidden = { schema: { hide: true } }

  app.get('/docs/map.mmd', hidden, async (_request, reply) => {
    reply.type('text/plain; charset=utf-8')
    return moduleFlowchart(graph, await places())
  })

  app.get('/docs/map', hidden, async (_request, reply) => {
    const placed = await places()
    // Without its drawing the page still says everything: the table, and the source it links to.
    const figure = await drawing(moduleFlowchart(graph, placed)).then((svg) => `<figure>${svg}</figure>`, (error: Error) => {
      app.log.warn({ err: error }, 'the module map could not be drawn')
      return '<p>The drawing could not be made just now; the table and the Mermaid source say the same.</p>'
    })
    const rows = [...placed].map(([module, { where, instances, ejected, breaker }]) => {
      const listed = instances.map((url) => ejected.includes(url) ? `${url} (out of rotation)` : url).join(', ')
      return `<tr><td>${escapeHtml(module)}${graph.external.includes(module) ? ' (external)' : ''}</td><td>${where}</td><td>${escapeHtml(listed) || '—'}</td><td>${breaker ?? '—'}</td></tr>`
    })
    reply.type('text/html; charset=utf-8').header('content-security-policy', pagePolicy)
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Module map · ${escapeHtml(serviceName(app.config))}</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem; color: #27272a; }
  figure { margin: 1rem 0; overflow-x: auto; }
  table { border-collapse: collapse; }
  th, td { text-align: left; padding: 0.3rem 0.8rem; border-bottom: 1px solid #e4e4e7; }
</style>
</head>
<body>
<h1>Module map</h1>
<p>What each module calls (solid arrows) and the events it publishes to others (dotted), as this process finds them:
green here, blue elsewhere, red where its breaker is open or no instance is in rotation.</p>
${figure}
<table>
<thead><tr><th>module</th><th>where</th><th>instances</th><th>breaker</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
<p><a href="/docs/map.mmd">The Mermaid source</a> · <a href="/docs">the API</a></p>
</body>
</html>
`
  })
}
