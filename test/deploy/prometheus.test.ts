// deploy/prometheus through promtool: the rules load, each alert fires and clears in its unit
// tests, and every dashboard query is PromQL Prometheus accepts. CI installs promtool (.ci/run);
// elsewhere a missing promtool skips these, saying so.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import { projectRoot } from '../helpers/process.js'
import { tempDir } from '../helpers/app.js'

type Yaml = any

const rulesPath = 'deploy/prometheus/cleave-alerts.yml'
const rulesTestPath = 'deploy/prometheus/cleave-alerts.test.yml'
const dashboardPath = 'deploy/grafana/cleave-dashboard.json'

function promtoolMissing (): string | false {
  if (process.env.CI || !spawnSync('promtool', ['--version']).error) return false
  return 'no promtool: apt-get install prometheus to check deploy/prometheus'
}

function promtool (...args: string[]) {
  const { status, stdout, stderr, error } = spawnSync('promtool', args, { cwd: projectRoot, encoding: 'utf8' })
  if (error) throw error
  return { status, output: stdout + stderr }
}

const read = (path: string) => readFileSync(join(projectRoot, path), 'utf8')
const rules: Array<Yaml> = parse(read(rulesPath)).groups.flatMap((group: Yaml) => group.rules)

t.test('every alert waits, has a severity and says what is wrong', async (t) => {
  t.ok(rules.length >= 7, `${rules.length} alerts`)
  for (const rule of rules) {
    t.match(rule.for, /^\d+[smh]$/, `${rule.alert}: for`)
    t.match(rule.labels?.severity, /^(warning|critical)$/, `${rule.alert}: severity`)
    t.ok(rule.annotations?.summary && rule.annotations?.description, `${rule.alert}: summary and description`)
  }
})

t.test('every alert has a unit test that sees it firing and one that sees it quiet', async (t) => {
  const cases: Yaml[] = parse(read(rulesTestPath)).tests.flatMap((test: Yaml) => test.alert_rule_test)
  for (const { alert } of rules) {
    const own = cases.filter((c) => c.alertname === alert)
    t.ok(own.some((c) => c.exp_alerts.length > 0), `${alert} fires`)
    t.ok(own.some((c) => c.exp_alerts.length === 0), `${alert} stays quiet or clears`)
  }
})

t.test('promtool', { skip: promtoolMissing() }, async (t) => {
  t.test('check rules', async (t) => {
    const { status, output } = promtool('check', 'rules', rulesPath)
    t.equal(status, 0, output)
    t.match(output, `SUCCESS: ${rules.length} rules found`)
  })

  t.test('test rules: each alert fires on made-up series and clears', async (t) => {
    const { status, output } = promtool('test', 'rules', rulesTestPath)
    t.equal(status, 0, output)
    t.match(output, /SUCCESS/)
  })

  t.test('every dashboard query is valid PromQL', async (t) => {
    // Grafana's variables as Prometheus would see them once Grafana has filled them in.
    const filled = (expr: string) => expr.replaceAll('$__rate_interval', '5m').replaceAll('$job', '.*')
    const dashboard = JSON.parse(read(dashboardPath))
    const queries = dashboard.panels.flatMap((panel: Yaml) => panel.targets ?? []).map((target: Yaml) => target.expr)
    t.ok(queries.length >= 15, `${queries.length} queries`)
    const asRules = { groups: [{ name: 'dashboard', rules: queries.map((expr: string, i: number) => ({ record: `dashboard:query_${i}`, expr: filled(expr) })) }] }
    const file = join(tempDir(t), 'dashboard-queries.yml')
    writeFileSync(file, stringify(asRules))
    const { status, output } = promtool('check', 'rules', file)
    t.equal(status, 0, output)
  })
})
