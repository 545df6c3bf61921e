// The dashboard and the alerting rules name only metrics a real store emits: metrics() of a
// Node store that wrote, snapshotted and collected garbage is the oracle. With promtool on the
// PATH (npm test installs it), every panel's PromQL is also parsed by Prometheus itself.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import parsePrometheus from 'parse-prometheus-text-format'
import { beforeAll, describe, expect, it } from 'vitest'
import { open } from '@cowdb/node'

type Target = { expr: string; legendFormat?: string }
type Panel = { type: string; title: string; targets?: Target[]; panels?: Panel[]; fieldConfig?: { defaults?: { thresholds?: { steps: { value: number | null }[] } } } }
type Dashboard = { panels: Panel[]; templating: { list: { type: string; query?: string | { query: string } }[] } }

const file = (p: string) => readFileSync(new URL(p, import.meta.url), 'utf8')
const dashboard = JSON.parse(file('./grafana/cowdb.json')) as Dashboard
const rules = file('./prometheus/cowdb-rules.yml')
const SEED = ['cow_pages_created_total', 'cow_snapshot_age_seconds', 'cow_garbage_collector_duration_seconds', 'cow_root_updates_total']

/** Every panel, rows' nested panels included. */
const allPanels = (list: Panel[]): Panel[] => list.flatMap((p) => [p, ...allPanels(p.panels ?? [])])
/** The metric names an expression reads (cow_ identifiers; label names and functions are not cow_). */
const metricsIn = (expr: string) => [...expr.matchAll(/\bcow_[a-z0-9_]+\b/g)].map((m) => m[0])
/** A histogram family `h` is read as h_bucket, h_sum and h_count. */
const family = (name: string, histograms: Set<string>) => {
  const base = name.replace(/_(bucket|sum|count)$/, '')
  return histograms.has(base) ? base : name
}

let emitted: Set<string>
let histograms: Set<string>

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cowdb-ops-'))
  const db = await open(dir, { retention: { keepLast: 10 } })
  try {
    for (let i = 0; i < 200; i++) await db.put(`k${i}`, { i })
    await db.snapshot({ label: 'ops test' })
    await db.createTenant('acme') // the per-tenant series exist once a tenant does
    await db.tenant('acme').put('k', 1)
    await db.tenant('acme').snapshot()
    await db.tenants({ space: true }) // the walk behind cow_tenant_exclusive_bytes
    await db.get('k1')
    await db.gc()
    const families = parsePrometheus(await db.metrics()) as { name: string; type: string }[]
    emitted = new Set(families.map((f) => f.name))
    histograms = new Set(families.filter((f) => f.type === 'HISTOGRAM').map((f) => f.name))
  } finally {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

describe('ops/grafana/cowdb.json', () => {
  const panels = allPanels(dashboard.panels).filter((p) => p.type !== 'row')

  it('every panel has a query, and every query names metrics that metrics() emits', () => {
    expect(panels.length).toBeGreaterThanOrEqual(10)
    for (const p of panels) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0)
      for (const t of p.targets!) {
        const names = metricsIn(t.expr)
        expect(names.length, `${p.title}: ${t.expr}`).toBeGreaterThan(0)
        for (const n of names) expect(emitted.has(family(n, histograms)), `${p.title} reads ${n}, which metrics() does not emit`).toBe(true)
        // histogram series exist only with their suffixes
        for (const n of names) expect(histograms.has(n), `${p.title} reads histogram ${n} without _bucket/_sum/_count`).toBe(false)
      }
    }
    for (const v of dashboard.templating.list.filter((v) => v.type === 'query')) {
      const q = typeof v.query === 'string' ? v.query : v.query!.query
      for (const n of metricsIn(q)) expect(emitted.has(n), `variable query ${q}`).toBe(true)
    }
  })

  it('has a panel for each of the four seed metrics, with the alert thresholds drawn', () => {
    for (const seed of SEED) {
      const reading = panels.filter((p) => p.targets!.some((t) => metricsIn(t.expr).some((n) => family(n, histograms) === seed)))
      expect(reading.length, seed).toBeGreaterThan(0)
    }
    const thresholds = (title: string) =>
      panels.filter((p) => p.title === title && p.type === 'timeseries').flatMap((p) => p.fieldConfig!.defaults!.thresholds!.steps.map((s) => s.value))
    expect(thresholds('Pages created per minute')).toContain(10000)
    expect(thresholds('Newest snapshot age')).toContain(300)
    expect(thresholds('GC run duration')).toContain(30)
  })

  it.skipIf(!hasPromtool())('every panel expression parses as PromQL (promtool check rules)', () => {
    const exprs = panels.flatMap((p) => p.targets!.map((t) => t.expr.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.+')))
    const dir = mkdtempSync(join(tmpdir(), 'cowdb-ops-promql-'))
    try {
      const path = join(dir, 'panels.yml')
      writeFileSync(path, `groups:\n  - name: panels\n    rules:\n${exprs.map((e, i) => `      - record: panel:${i}\n        expr: ${JSON.stringify(e)}\n`).join('')}`)
      const r = spawnSync('promtool', ['check', 'rules', path], { encoding: 'utf8' })
      expect(r.status, r.stdout + r.stderr).toBe(0)
      expect(r.stdout).toContain(`${exprs.length} rules found`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('ops/prometheus/cowdb-rules.yml', () => {
  it('alerts on the seed metrics only through names that metrics() emits', () => {
    const names = new Set(metricsIn(rules))
    for (const n of names) expect(emitted.has(family(n, histograms)), n).toBe(true)
    for (const seed of SEED) expect([...names].some((n) => family(n, histograms) === seed), seed).toBe(true)
    for (const alert of ['CowdbPagesCreatedHigh', 'CowdbSnapshotStale', 'CowdbGcSlow', 'CowdbRootUpdatesDropped', 'CowdbBackgroundErrors', 'CowdbTenantSnapshotStale']) {
      expect(rules).toContain(`alert: ${alert}`)
      expect(file('./prometheus/cowdb-rules.test.yml')).toContain(`alertname: ${alert}`)
    }
  })
})

function hasPromtool(): boolean {
  return spawnSync('promtool', ['--version']).status === 0
}
