// Counters and histograms, rendered in the Prometheus text exposition format.

import type { Stats } from './types.js'

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

/** Milliseconds from a monotonic clock where there is one (for durations). */
export function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now()
}

/** Seconds buckets from 50 µs to 10 s. */
export const LATENCY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10]
/** Seconds buckets for background work, up to 2 minutes (the operators' alert is at GC > 30 s). */
export const BACKGROUND_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

/** Label names and values of one series (e.g. `{ tenant: 'acme' }`). */
export type Labels = Record<string, string>

export type Metric =
  | { name: string; help: string; type: 'counter' | 'gauge'; value: number; labels?: Labels }
  | { name: string; help: string; type: 'histogram'; hist: Histogram; labels?: Labels }

/**
 * Renders metrics with # HELP and # TYPE lines, once per name: the series of one name (one per
 * set of labels) are written together, in the order their name first appears. Label values are
 * escaped as the format says (backslash, double quote, newline). Cost: O(metrics + buckets).
 */
export function renderPrometheus(metrics: Metric[]): string {
  const families = new Map<string, Metric[]>()
  for (const m of metrics) families.get(m.name)?.push(m) ?? families.set(m.name, [m])
  const lines: string[] = []
  for (const [name, series] of families) {
    lines.push(`# HELP ${name} ${series[0]!.help}`, `# TYPE ${name} ${series[0]!.type}`)
    for (const m of series) {
      if (m.type === 'histogram') {
        const h = m.hist
        h.buckets.forEach((b, i) => lines.push(`${name}_bucket${labelText(m.labels, String(b))} ${h.counts[i]}`))
        lines.push(`${name}_bucket${labelText(m.labels, '+Inf')} ${h.count}`, `${name}_sum${labelText(m.labels)} ${h.sum}`, `${name}_count${labelText(m.labels)} ${h.count}`)
      } else {
        lines.push(`${name}${labelText(m.labels)} ${Number.isFinite(m.value) ? m.value : 0}`)
      }
    }
  }
  return lines.join('\n') + '\n'
}

/** `{a="x",le="0.1"}`, or nothing without labels. */
function labelText(labels: Labels | undefined, le?: string): string {
  const pairs = Object.entries(labels ?? {}).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
  if (le !== undefined) pairs.push(`le="${le}"`)
  return pairs.length ? `{${pairs.join(',')}}` : ''
}

/** The engine's metrics from its stats, the newest named snapshot's time and its histograms. Cost: O(1). */
export function engineMetrics(s: Stats, newestSnapshot: number, h: { gc: Histogram; commit: Histogram; checkpoint: Histogram }): Metric[] {
  return [
    { name: 'cow_pages_created_total', help: 'Pages created (copied or new) by writes.', type: 'counter', value: s.pagesCreated },
    { name: 'cow_root_updates_total', help: 'Head root switches (commits, restores).', type: 'counter', value: s.rootUpdates },
    { name: 'cow_snapshot_age_seconds', help: 'Age of the newest named snapshot (0 when there is none; undo history is not counted).', type: 'gauge', value: newestSnapshot ? (Date.now() - newestSnapshot) / 1000 : 0 },
    { name: 'cow_garbage_collector_duration_seconds', help: 'Duration of garbage collection runs.', type: 'histogram', hist: h.gc },
    { name: 'cow_pages_live', help: 'Slots in use in the pages file.', type: 'gauge', value: s.pagesLive },
    { name: 'cow_pages_free', help: 'Free slots in the pages file.', type: 'gauge', value: s.pagesFree },
    { name: 'cow_file_bytes', help: 'Size of the pages file.', type: 'gauge', value: s.fileBytes },
    { name: 'cow_wal_bytes', help: 'Bytes in the write-ahead log since the last checkpoint.', type: 'gauge', value: s.walBytes },
    { name: 'cow_cache_hits_total', help: 'Page cache hits.', type: 'counter', value: s.cacheHits },
    { name: 'cow_cache_misses_total', help: 'Page cache misses.', type: 'counter', value: s.cacheMisses },
    { name: 'cow_snapshots', help: 'Named snapshots retained.', type: 'gauge', value: Number(s.namedSnapshots ?? s.snapshots) },
    { name: 'cow_history_entries', help: 'Undo history entries retained (automatic snapshots, one per commit).', type: 'gauge', value: Number(s.historyEntries ?? 0) },
    { name: 'cow_pages_in_deadlists', help: 'Pages copied away that retained roots still reach, freed when those roots go.', type: 'gauge', value: Number(s.pagesInDeadlists ?? 0) },
    { name: 'cow_compaction_steps_total', help: 'Compaction steps (each moves up to 1,024 live pages from the top of the pages file into free slots below).', type: 'counter', value: Number(s.compactions ?? 0) },
    { name: 'cow_pages_relocated_total', help: 'Pages compaction copied to lower slots.', type: 'counter', value: Number(s.pagesRelocated ?? 0) },
    { name: 'cow_commit_duration_seconds', help: 'Commit latency, from call to durable.', type: 'histogram', hist: h.commit },
    { name: 'cow_checkpoint_duration_seconds', help: 'Checkpoint duration.', type: 'histogram', hist: h.checkpoint },
    { name: 'cow_background_errors_total', help: 'Background failures (checkpoints, gc, event delivery), each retried or reported.', type: 'counter', value: Number(s.backgroundErrors ?? 0) },
  ]
}
