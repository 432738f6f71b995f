export interface Run { server: string, round: number, reqPerSec: number, p50: number, p99: number }

export interface Row {
  server: string
  runs: number
  reqPerSec: number
  p50: number
  p99: number
  ratio?: number
  target?: number
  verdict?: 'PASS' | 'MISS'
}

export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

// Medians, not means: on a noisy 2-core machine one disturbed run should not move the result.
export function summarize (runs: Run[], baseline: string, targets: Record<string, number>): Row[] {
  const servers = [...new Set(runs.map((run) => run.server))]
  const rows = servers.map((server) => {
    const mine = runs.filter((run) => run.server === server)
    return {
      server,
      runs: mine.length,
      reqPerSec: median(mine.map((run) => run.reqPerSec)),
      p50: median(mine.map((run) => run.p50)),
      p99: median(mine.map((run) => run.p99))
    }
  })
  const bare = rows.find((row) => row.server === baseline)
  if (!bare) throw new Error(`no runs of the baseline "${baseline}"`)
  return rows.map((row): Row => {
    const target = targets[row.server]
    if (target === undefined) return row
    const ratio = row.reqPerSec / bare.reqPerSec
    return { ...row, ratio, target, verdict: ratio >= target ? 'PASS' : 'MISS' }
  })
}

export function markdownTable (rows: Row[]): string {
  const lines = [
    '| server | runs | req/s | p50 ms | p99 ms | full/bare | target | result |',
    '|---|---:|---:|---:|---:|---:|---:|---|'
  ]
  for (const row of rows) {
    const cells = [
      row.server,
      String(row.runs),
      Math.round(row.reqPerSec).toLocaleString('en-US'),
      row.p50.toFixed(2),
      row.p99.toFixed(2),
      row.ratio === undefined ? '—' : `${row.ratio.toFixed(3)}×`,
      row.target === undefined ? '—' : `≥ ${row.target.toFixed(2)}×`,
      row.verdict ?? '—'
    ]
    lines.push(`| ${cells.join(' | ')} |`)
  }
  return lines.join('\n')
}
