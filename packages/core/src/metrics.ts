// Counters and histograms, rendered in the Prometheus text exposition format.

export class Histogram {
  readonly counts: number[]
  sum = 0
  count = 0
  constructor(readonly buckets: number[]) {
    this.counts = buckets.map(() => 0)
  }
  /** Records one observation. Cost: O(buckets). */
  observe(v: number): void {
    this.sum += v
    this.count++
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) this.counts[i]!++
  }
}

/** Seconds buckets from 50 µs to 10 s. */
export const LATENCY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10]

export type Metric =
  | { name: string; help: string; type: 'counter' | 'gauge'; value: number }
  | { name: string; help: string; type: 'histogram'; hist: Histogram }

/** Renders metrics with # HELP and # TYPE lines. Cost: O(metrics + buckets). */
export function renderPrometheus(metrics: Metric[]): string {
  const lines: string[] = []
  for (const m of metrics) {
    lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`)
    if (m.type === 'histogram') {
      const h = m.hist
      h.buckets.forEach((b, i) => lines.push(`${m.name}_bucket{le="${b}"} ${h.counts[i]}`))
      lines.push(`${m.name}_bucket{le="+Inf"} ${h.count}`, `${m.name}_sum ${h.sum}`, `${m.name}_count ${h.count}`)
    } else {
      lines.push(`${m.name} ${Number.isFinite(m.value) ? m.value : 0}`)
    }
  }
  return lines.join('\n') + '\n'
}
