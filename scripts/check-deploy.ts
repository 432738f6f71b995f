// npm run check:deploy [-- <dir>] — checks deploy/compose.yaml (every profile) and every Kubernetes
// overlay, as `kubectl kustomize` renders it, against the module graph: each process reaches what
// its modules call, events cross processes through Redis, the gateway routes what runs, every URL
// leads to a process that mounts its module, and no setting names a module that does not exist.
// One line per gap; exit 1 if any. <dir> is the project to read (default this one).
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { loadModuleRegistry } from '../src/platform/contracts/module-registry.js'
import type { ModuleGraph } from '../src/platform/primitives/module-graph.js'
import { composeDeployments } from './check-deploy/compose.js'
import { kubernetesDeployment } from './check-deploy/kubernetes.js'
import { deploymentProblems } from './check-deploy/needs.js'
import type { Deployment } from './check-deploy/deployment.js'

/** The Kubernetes kustomizations to render: deploy/k8s and each of its overlays. */
function kustomizations (root: string): string[] {
  const overlays = join(root, 'deploy/k8s/overlays')
  return [join(root, 'deploy/k8s'), ...(existsSync(overlays) ? readdirSync(overlays).sort().map((name) => join(overlays, name)) : [])]
    .filter((dir) => existsSync(join(dir, 'kustomization.yaml')))
}

function render (dir: string): string {
  const rendered = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' })
  if (rendered.error) throw new Error(`kubectl kustomize ${dir}: ${rendered.error.message} (kubectl renders the Kubernetes overlays: install it)`)
  if (rendered.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${rendered.stderr.trim()}`)
  return rendered.stdout
}

export function deployments (root: string): Deployment[] {
  const compose = join(root, 'deploy/compose.yaml')
  return [
    ...(existsSync(compose) ? composeDeployments('deploy/compose.yaml', readFileSync(compose, 'utf8')) : []),
    ...kustomizations(root).map((dir) => kubernetesDeployment(relative(root, dir), render(dir)))
  ]
}

export function checkDeploy (graph: ModuleGraph, root: string): { checked: Deployment[], problems: string[] } {
  const checked = deployments(root)
  return { checked, problems: checked.flatMap((deployment) => deploymentProblems(graph, deployment)) }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { checked, problems } = checkDeploy(await loadModuleRegistry(), resolve(process.argv[2] ?? join(import.meta.dirname, '..')))
  for (const problem of problems) console.error(problem)
  const processes = checked.reduce((sum, deployment) => sum + deployment.processes.length, 0)
  console.log(`${checked.map((deployment) => deployment.source).join(', ')}: ${processes} processes, ${problems.length === 0 ? 'each reaches what it needs' : `${problems.length} gaps`}`)
  process.exitCode = problems.length === 0 ? 0 : 1
}
