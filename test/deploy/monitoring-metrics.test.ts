// The Grafana dashboard is a valid model, and every metric a panel or an alert uses is one that
// Cleave's /metrics serves: a renamed metric breaks here, not silently on a wall screen.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { loadConfig } from '../../src/platform/config/config.js'
import { buildGateway } from '../../src/platform/app/build-gateway.js'
import { buildTestApp } from '../helpers/app.js'
import { projectRoot } from '../helpers/process.js'
import { startRedis } from '../helpers/redis.js'
import { registry } from '../helpers/modules.js'

type Json = any

const read = (path: string) => readFileSync(join(projectRoot, path), 'utf8')
const dashboard: Json = JSON.parse(read('deploy/grafana/cleave-dashboard.json'))
const rules: Json[] = parse(read('deploy/prometheus/cleave-alerts.yml')).groups.flatMap((group: Json) => group.rules)
// eslint-disable-next-line no-template-curly-in-string -- Grafana's variable syntax, not a template
const datasource = { type: 'prometheus', uid: '${datasource}' }

// Words of PromQL that stand alone; a name followed by "(" is a function or an aggregation.
const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan'])

/** The metric names in a PromQL expression (Grafana's $variables allowed). */
export function metricNames (expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // strings: label values, label_replace arguments
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges and subqueries
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // label lists
    .replace(/\$\{?\w+\}?/g, '') // Grafana variables
  const names = []
  for (const match of bare.matchAll(/(?<![\w:.])[a-zA-Z_:][\w:]*(?![\w:])/g)) {
    const after = bare.slice(match.index + match[0].length).trimStart()
    if (!after.startsWith('(') && !keywords.has(match[0].toLowerCase())) names.push(match[0])
  }
  return names
}

/** The metric names in a Grafana query variable: label_values(metric, label) or a PromQL query. */
function variableMetricNames (query: string): string[] {
  const labelValues = /^\s*label_values\((?:(.*),)?\s*\w+\s*\)\s*$/.exec(query)
  if (labelValues) return metricNames(labelValues[1] ?? '')
  return metricNames(query.replace(/^\s*query_result\((.*)\)\s*$/, '$1'))
}

/** Where each metric name is used: alert name or panel title. */
function usedMetrics (): Map<string, string[]> {
  const used = new Map<string, string[]>()
  const add = (names: string[], where: string) => { for (const name of names) used.set(name, [...used.get(name) ?? [], where]) }
  for (const rule of rules) add(metricNames(rule.expr), `alert ${rule.alert}`)
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) add(metricNames(target.expr), `panel "${panel.title}"`)
  }
  for (const variable of dashboard.templating.list) {
    if (variable.type === 'query') add(variableMetricNames(variable.query.query ?? variable.query), `variable $${variable.name}`)
  }
  return used
}

/** Metric names in Prometheus text: every sample's, and each histogram's and summary's series. */
function servedNames (text: string): Set<string> {
  const names = new Set<string>()
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\w+)$/.exec(line)
    if (type) {
      const [, name, kind] = type
      names.add(name)
      if (kind === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix)
      if (kind === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix)
    } else if (line && !line.startsWith('#')) {
      names.add(/^[^{ ]+/.exec(line)![0])
    }
  }
  return names
}

t.test('the metric names of a PromQL expression, and only those', async (t) => {
  t.same(metricNames('histogram_quantile(0.95, sum by (job, le) (rate(a_bucket{job=~"$job", le!="+Inf"}[$__rate_interval]))) > 5'), ['a_bucket'])
  t.same(metricNames('sum without (instance) (rate(b_total[5m] offset 1h)) / on (job) group_left (team) c_info and d unless e or bool f'), ['b_total', 'c_info', 'd', 'e', 'f'])
  t.same(metricNames('label_replace(up, "to", "$1", "from", "(.*)") > 1e3 and max_over_time(g[10m:1m]) < Inf'), ['up', 'g'])
  t.same(variableMetricNames('label_values(h_count, job)'), ['h_count'])
  t.same(variableMetricNames('label_values(job)'), [])
})

t.test('the dashboard is a Grafana JSON model on a datasource variable', async (t) => {
  t.type(dashboard.schemaVersion, 'number')
  t.ok(dashboard.uid && dashboard.title, 'uid and title')
  const variables = dashboard.templating.list
  t.match(variables.find((variable: Json) => variable.name === 'datasource'), { type: 'datasource', query: 'prometheus' })
  const ids = dashboard.panels.map((panel: Json) => panel.id)
  t.equal(new Set(ids).size, ids.length, 'panel ids are unique')
  const panels = dashboard.panels.filter((panel: Json) => panel.type !== 'row')
  t.ok(panels.length >= 15, `${panels.length} panels`)
  for (const panel of panels) {
    t.match(panel, { title: String, gridPos: { h: Number, w: Number, x: Number, y: Number } }, `"${panel.title}": title and place`)
    t.ok(panel.gridPos.x + panel.gridPos.w <= 24, `"${panel.title}" fits the 24 columns`)
    t.same(panel.datasource, datasource, `"${panel.title}" asks \${datasource}`)
    t.ok(panel.targets.length > 0, `"${panel.title}" has queries`)
    for (const target of panel.targets) {
      t.same(target.datasource, datasource, `"${panel.title}" ${target.refId}: \${datasource}`)
      t.ok(target.expr && target.refId, `"${panel.title}" ${target.refId}: PromQL`)
    }
  }
  for (const variable of variables.filter((variable: Json) => variable.type === 'query')) t.same(variable.datasource, datasource, `$${variable.name} asks \${datasource}`)
})

t.test('every metric the rules and the dashboard use is one Cleave serves', async (t) => {
  const redis = await startRedis(t)
  // Every module in one process, with Redis so the queue gauge is there; and a gateway.
  const app = await buildTestApp(t, { env: { REDIS_URL: redis.url, REDIS_PREFIX: `cleave-test-${randomUUID()}:` } })
  const gateway = await buildGateway(loadConfig({ LOG_LEVEL: 'silent', SERVICE_HELLO_URL: 'http://127.0.0.1:1' }, registry), registry, { modules: ['hello'] })
  t.teardown(() => gateway.close())
  const served = new Set<string>()
  for (const process of [app, gateway]) {
    const res = await process.inject('/metrics')
    t.equal(res.statusCode, 200)
    for (const name of servedNames(res.body)) served.add(name)
  }
  t.ok(served.has('cleave_queue_jobs'), 'the queue gauge is served with Redis')

  const used = usedMetrics()
  for (const name of ['cleave_breaker_state', 'cleave_target_instances', 'cleave_relay_lag_seconds_bucket', 'cleave_queue_jobs', 'nodejs_eventloop_lag_seconds']) {
    t.ok(used.has(name), `${name} is used`)
  }
  const unserved = Object.fromEntries([...used].filter(([name]) => !served.has(name)))
  t.same(unserved, {}, `${used.size} metric names used, all served`)
})
