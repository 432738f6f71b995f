import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'

/** Latencies in milliseconds, measured to the microsecond. */
export interface Measurement { reqPerSec: number, p50: number, p99: number }

/** cpuUs: the server process's CPU time per request, in µs, where it was measured. */
export interface Run extends Measurement { server: string, round: number, connections?: number, cpuUs?: number }

export interface Summary extends Measurement { server: string, connections?: number, runs: number, cpuUs?: number }

export interface Row extends Summary {
  ratio?: number
  target?: number
  verdict?: 'PASS' | 'MISS'
  /** CPU µs/req over the baseline's, where both were measured; a CPU target is a ceiling. */
  cpuRatio?: number
  cpuTarget?: number
  cpuVerdict?: 'PASS' | 'MISS'
}

export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

// Medians, not means: on a noisy 2-core machine one disturbed run should not move the result.
// One summary per server and connection count, in the order they were first run.
export function medians (runs: Run[]): Summary[] {
  const groups = new Map<string, Run[]>()
  for (const run of runs) {
    const key = `${run.server}\0${run.connections ?? ''}`
    groups.set(key, [...groups.get(key) ?? [], run])
  }
  return [...groups.values()].map((mine) => ({
    server: mine[0].server,
    ...(mine[0].connections === undefined ? {} : { connections: mine[0].connections }),
    runs: mine.length,
    reqPerSec: median(mine.map((run) => run.reqPerSec)),
    p50: median(mine.map((run) => run.p50)),
    p99: median(mine.map((run) => run.p99)),
    ...(mine.every((run) => run.cpuUs !== undefined) ? { cpuUs: median(mine.map((run) => run.cpuUs!)) } : {})
  }))
}

/**
 * A target of null gives the ratio to the baseline without a verdict. cpuTargets are ceilings on
 * CPU µs/req over the baseline's (lower is better).
 */
export function summarize (runs: Run[], baseline: string, targets: Record<string, number | null>, cpuTargets: Record<string, number> = {}): Row[] {
  const rows = medians(runs)
  const bare = rows.find((row) => row.server === baseline)
  if (!bare) throw new Error(`no runs of the baseline "${baseline}"`)
  return rows.map((row): Row => {
    const target = targets[row.server]
    if (target === undefined) return row
    const ratio = row.reqPerSec / bare.reqPerSec
    const throughput: Row = target === null ? { ...row, ratio } : { ...row, ratio, target, verdict: verdict(ratio >= target) }
    if (row.cpuUs === undefined || bare.cpuUs === undefined) return throughput
    const cpuRatio = row.cpuUs / bare.cpuUs
    const cpuTarget = cpuTargets[row.server]
    return cpuTarget === undefined ? { ...throughput, cpuRatio } : { ...throughput, cpuRatio, cpuTarget, cpuVerdict: verdict(cpuRatio <= cpuTarget) }
  })
}

export const requests = (value: number): string => Math.round(value).toLocaleString('en-US')
export const milliseconds = (value: number, digits = 2): string => value.toFixed(digits)
export const verdict = (pass: boolean): 'PASS' | 'MISS' => pass ? 'PASS' : 'MISS'

/** A markdown table; `align` has one letter per column, l or r. */
export function table (header: string[], rows: string[][], align: string): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`
  const rule = [...align].map((side) => side === 'r' ? '---:' : '---')
  return [line(header), `|${rule.join('|')}|`, ...rows.map(line)].join('\n')
}

// The CPU columns only when some row has a CPU time.
export function markdownTable (rows: Row[]): string {
  const cpu = rows.some((row) => row.cpuUs !== undefined)
  return table(
    ['server', 'runs', 'req/s', 'p50 ms', 'p99 ms', 'full/bare', 'target', 'result', ...cpu ? ['server CPU µs/req', 'CPU full/bare', 'CPU target', 'CPU result'] : []],
    rows.map((row) => [
      row.server,
      String(row.runs),
      requests(row.reqPerSec),
      milliseconds(row.p50),
      milliseconds(row.p99),
      row.ratio === undefined ? '—' : `${row.ratio.toFixed(3)}×`,
      row.target === undefined ? '—' : `≥ ${row.target.toFixed(2)}×`,
      row.verdict ?? '—',
      ...cpu
        ? [
            row.cpuUs === undefined ? '—' : row.cpuUs.toFixed(1),
            row.cpuRatio === undefined ? '—' : `${row.cpuRatio.toFixed(3)}×`,
            row.cpuTarget === undefined ? '—' : `≤ ${row.cpuTarget.toFixed(2)}×`,
            row.cpuVerdict ?? '—'
          ]
        : []
    ]),
    cpu ? 'lrrrrrrlrrrl' : 'lrrrrrrl'
  )
}

export function machine () {
  return { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, platform: `${process.platform}-${process.arch}` }
}

/** Writes bench/results/<name> whole or not at all. */
export function writeResults (name: string, results: unknown): string {
  const dir = join(import.meta.dirname, 'results')
  const file = join(dir, name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(`${file}.tmp`, `${JSON.stringify(results, null, 2)}\n`)
  renameSync(`${file}.tmp`, file)
  return file
}
