// cleave_http_request_duration_seconds, recorded without allocating or hashing labels per request.
// prom-client's Histogram.observe validates and hashes its labels on every call, the largest part
// of what metrics cost a request (bench/README.md). Each route pattern holds its own series instead
// (one per method and status, made once), formatted only at scrape: the shape a Registry reads (`get()`).

// prom-client's default buckets, so dashboards built on them keep working.
const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

interface Series {
  labels: { method: string, route: string, status: number }
  counts: Float64Array
  sum: number
  count: number
}

export interface RouteDurations {
  observe (method: string, status: number, seconds: number): void
}

export class RequestDurations {
  readonly name = 'cleave_http_request_duration_seconds'
  readonly help = 'HTTP requests by method, route pattern and status, from arrival to the response sent'
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  private readonly series: Series[] = []

  /** The recorder of one route pattern; its series are found by method, then status. */
  route (route: string): RouteDurations {
    const byMethod = new Map<string, Map<number, Series>>()
    const all = this.series
    return {
      observe (method, status, seconds) {
        let byStatus = byMethod.get(method)
        if (!byStatus) byMethod.set(method, byStatus = new Map())
        let series = byStatus.get(status)
        if (!series) {
          series = { labels: { method, route, status }, counts: new Float64Array(buckets.length), sum: 0, count: 0 }
          byStatus.set(status, series)
          all.push(series)
        }
        let bucket = 0
        while (bucket < buckets.length && seconds > buckets[bucket]) bucket++
        if (bucket < buckets.length) series.counts[bucket]++
        series.sum += seconds
        series.count++
      }
    }
  }

  async get () {
    const values = []
    for (const { labels, counts, sum, count } of this.series) {
      let cumulative = 0
      for (let i = 0; i < buckets.length; i++) {
        cumulative += counts[i]
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: buckets[i] }, value: cumulative })
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count })
      values.push({ metricName: `${this.name}_sum`, labels, value: sum })
      values.push({ metricName: `${this.name}_count`, labels, value: count })
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator }
  }

  reset () { this.series.length = 0 }
}
