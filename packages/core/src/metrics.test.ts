import parsePrometheus from 'parse-prometheus-text-format'
import { describe, expect, it } from 'vitest'
import { Database } from './database.js'
import { MemoryStorage } from './memory-store.js'
import { Histogram, renderPrometheus } from './metrics.js'

type Family = { name: string; help: string; type: string; metrics: { value?: string; buckets?: Record<string, string>; count?: string }[] }

async function read(db: Database): Promise<Map<string, Family>> {
  const families = parsePrometheus(await db.metrics()) as Family[]
  return new Map(families.map((f) => [f.name, f]))
}
const value = (m: Map<string, Family>, name: string) => Number(m.get(name)!.metrics[0]!.value)

describe('metrics', () => {
  it('parse as Prometheus text, and the seed four move as the operations say', async () => {
    const db = await Database.open(new MemoryStorage(), { checkpointDelayMs: 0 })
    const m0 = await read(db)
    for (const name of ['cow_pages_created_total', 'cow_root_updates_total', 'cow_snapshot_age_seconds', 'cow_garbage_collector_duration_seconds', 'cow_pages_live', 'cow_pages_free', 'cow_file_bytes', 'cow_wal_bytes', 'cow_cache_hits_total', 'cow_cache_misses_total', 'cow_snapshots', 'cow_commit_duration_seconds']) {
      expect(m0.get(name), name).toBeDefined()
      expect(m0.get(name)!.help.length, name).toBeGreaterThan(5)
    }
    expect(m0.get('cow_garbage_collector_duration_seconds')!.type).toBe('HISTOGRAM')
    expect(value(m0, 'cow_root_updates_total')).toBe(0)

    await db.put('a', 1)
    await db.put('b', 2)
    const m1 = await read(db)
    expect(value(m1, 'cow_root_updates_total')).toBe(2)
    expect(value(m1, 'cow_pages_created_total')).toBeGreaterThan(value(m0, 'cow_pages_created_total'))
    expect(value(m1, 'cow_snapshot_age_seconds')).toBe(0) // no snapshot yet
    expect(Number(m1.get('cow_commit_duration_seconds')!.metrics[0]!.count)).toBe(2)

    await db.snapshot()
    await new Promise((r) => setTimeout(r, 20))
    const m2 = await read(db)
    expect(value(m2, 'cow_snapshot_age_seconds')).toBeGreaterThan(0)
    expect(value(m2, 'cow_snapshots')).toBe(1)

    await db.gc()
    const m3 = await read(db)
    expect(Number(m3.get('cow_garbage_collector_duration_seconds')!.metrics[0]!.count)).toBe(1)
    await db.close()
  })
})

describe('renderPrometheus with labels', () => {
  it('writes one HELP and TYPE per name, every series of a name together, labels escaped; a parser reads them back', () => {
    const h = new Histogram([0.1, 1])
    h.observe(0.5)
    const text = renderPrometheus([
      { name: 'x_total', help: 'X.', type: 'counter', value: 1, labels: { tenant: 'a' } },
      { name: 'y', help: 'Y.', type: 'gauge', value: 2 },
      { name: 'x_total', help: 'X.', type: 'counter', value: 3, labels: { tenant: 'q"u\\o\nte' } },
      { name: 'h_seconds', help: 'H.', type: 'histogram', hist: h, labels: { tenant: 'a' } },
    ])
    expect(text.match(/# TYPE x_total/g)).toHaveLength(1)
    expect(text.indexOf('x_total{tenant="q')).toBeLessThan(text.indexOf('# HELP y')) // the family stays together
    const parsed = parsePrometheus(text) as { name: string; metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string> }[] }[]
    const x = parsed.find((f) => f.name === 'x_total')!
    expect(x.metrics.map((m) => [m.labels, m.value])).toEqual([[{ tenant: 'a' }, '1'], [{ tenant: 'q"u\\o\nte' }, '3']])
    expect(parsed.find((f) => f.name === 'h_seconds')!.metrics[0]!.buckets).toEqual({ '0.1': '0', '1': '1', '+Inf': '1' })
    // (the parser keeps no labels on histograms: the lines themselves)
    expect(text).toContain('h_seconds_bucket{tenant="a",le="0.1"} 0\nh_seconds_bucket{tenant="a",le="1"} 1\nh_seconds_bucket{tenant="a",le="+Inf"} 1\nh_seconds_sum{tenant="a"} 0.5\nh_seconds_count{tenant="a"} 1\n')
  })
})
