// The Metrics view: live charts (uPlot) of what an operator watches, sampled every second from
// stats() and metrics(): commits/s, pages created, GC runs and durations, snapshot age, file and
// WAL bytes, cache hit rate; and the raw Prometheus text one click away. Rates come from the
// difference of two samples; a counter that goes down (another tab took over and opened the
// files anew) starts again from zero, as Prometheus's rate() treats a reset.
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { app, type Sample } from './app.ts'
import { $, h } from './dom.ts'
import { bytes, num } from './format.ts'

const WINDOW_S = 300

/** `dots`: a sparse line (a value now and then) is drawn as dots too, or a lone value would not show. */
type Line = { label: string; stroke: string; scale?: string; dash?: number[]; dots?: boolean; fmt?: (v: number) => string }
type Spec = {
  title: string
  help: string
  lines: Line[]
  axes?: { scale: string; side: 1 | 3; fmt: (v: number) => string }[]
  /** One value per line from the previous and this sample (null: nothing to show for it). */
  values(prev: Sample | undefined, cur: Sample, dt: number): (number | null)[]
}

/** A sample value of the metric `name` (first line that starts with it). Cost: O(text). */
export function metric(text: string, name: string): number {
  const m = text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? ([^\\s]+)`, 'm'))
  return m ? Number(m[1]) : NaN
}
const stat = (s: Sample | undefined, k: string) => (s ? Number(s.stats[k] ?? 0) : 0)
/** Counter increase between two samples; a counter that went down was reset: count from 0. */
const inc = (prev: number, cur: number) => (cur >= prev ? cur - prev : cur)
const newestNamedAge = (s: Sample) => {
  const named = app.catalog.snapshots.filter((x) => x.kind !== 'history')
  return named.length ? (s.at - Math.max(...named.map((x) => x.createdAt))) / 1000 : null
}

const GREEN = '#2f6f4f'
const ORANGE = '#c46a1b'
const BLUE = '#2d6cb5'
const fixed = (d: number) => (v: number) => (v == null ? '—' : v.toFixed(d))
/** Axis numbers: whole above 100, else up to two decimals (a 0–1 range must not read 0, 1, 1). */
const tick = (v: number) => (Math.abs(v) >= 100 ? num(v) : String(Number(v.toFixed(2))))
const hms = (s: number) => new Date(s * 1000).toLocaleTimeString('en-GB')

const specs: Spec[] = [
  {
    title: 'Commits per second',
    help: 'durable commits (WAL flushes or large-commit checkpoints) per second',
    lines: [{ label: 'commits/s', stroke: GREEN, fmt: fixed(1) }],
    values: (p, c, dt) => [p ? inc(stat(p, 'commits'), stat(c, 'commits')) / dt : null],
  },
  {
    title: 'Pages created',
    help: 'pages written by copy-on-write per second (cow_pages_created_total); the operators’ alert is 10k per minute',
    lines: [{ label: 'pages/s', stroke: ORANGE, fmt: fixed(0) }],
    values: (p, c, dt) => [p ? inc(stat(p, 'pagesCreated'), stat(c, 'pagesCreated')) / dt : null],
  },
  {
    title: 'Garbage collection',
    help: 'GC runs since the owner opened the files, and the mean duration of the runs that ended in each second',
    lines: [
      { label: 'runs', stroke: BLUE, scale: 'runs', fmt: fixed(0) },
      { label: 'duration ms', stroke: ORANGE, scale: 'ms', dots: true, fmt: fixed(1) },
    ],
    axes: [
      { scale: 'runs', side: 3, fmt: tick },
      { scale: 'ms', side: 1, fmt: (v) => `${tick(v)} ms` },
    ],
    values: (p, c) => {
      const sum = 'cow_garbage_collector_duration_seconds_sum'
      const count = 'cow_garbage_collector_duration_seconds_count'
      const runs = p ? inc(metric(p.metrics, count), metric(c.metrics, count)) : 0
      const secs = p ? inc(metric(p.metrics, sum), metric(c.metrics, sum)) : 0
      return [stat(c, 'gcRuns'), runs > 0 ? (secs / runs) * 1000 : null]
    },
  },
  {
    title: 'Snapshot age',
    help: 'seconds since the newest named snapshot; the engine’s cow_snapshot_age_seconds also counts history entries (one per commit)',
    lines: [
      { label: 'named snapshot s', stroke: GREEN, fmt: fixed(0) },
      { label: 'engine gauge s', stroke: '#8b877e', dash: [4, 4], fmt: fixed(0) },
    ],
    values: (_p, c) => [newestNamedAge(c), metric(c.metrics, 'cow_snapshot_age_seconds')],
  },
  {
    title: 'File and WAL bytes',
    help: 'size of the pages file, and of the write-ahead log since the last checkpoint',
    lines: [
      { label: 'pages file', stroke: BLUE, fmt: bytes },
      { label: 'WAL', stroke: ORANGE, fmt: bytes },
    ],
    axes: [{ scale: 'y', side: 3, fmt: bytes }],
    values: (_p, c) => [stat(c, 'fileBytes'), stat(c, 'walBytes')],
  },
  {
    title: 'Cache hit rate',
    help: 'share of page reads served from the decoded page cache, per second (no line: no reads)',
    lines: [{ label: 'hit rate %', stroke: GREEN, dots: true, fmt: fixed(1) }],
    values: (p, c) => {
      if (!p) return [null]
      const hits = inc(stat(p, 'cacheHits'), stat(c, 'cacheHits'))
      const misses = inc(stat(p, 'cacheMisses'), stat(c, 'cacheMisses'))
      return [hits + misses ? (100 * hits) / (hits + misses) : null]
    },
  },
]

type Chart = { spec: Spec; plot: uPlot; data: (number | null)[][]; box: HTMLElement; figure: HTMLElement }
const charts: Chart[] = []
let previous: Sample | undefined

/** New data; the legend shows the latest values unless the pointer is on the chart. */
function draw(c: Chart): void {
  c.plot.setData(c.data as uPlot.AlignedData)
  const n = c.data[0]!.length
  if (n && !(c.plot.cursor.left! >= 0)) c.plot.setLegend({ idx: n - 1 })
}

function make(spec: Spec, host: HTMLElement): Chart {
  const box = h('div', { class: 'chart-canvas' })
  const figure = h('figure', { class: 'card chart', role: 'img', 'aria-label': spec.title }, h('figcaption', {}, h('b', {}, spec.title), h('span', { class: 'muted small' }, spec.help)), box)
  host.append(figure)
  const scales: uPlot.Scales = { x: { time: true } }
  for (const l of spec.lines) scales[l.scale ?? 'y'] = { range: (_u, min, max) => [Math.min(0, min ?? 0), Math.max(1, max ?? 1) * 1.1] }
  const axes: uPlot.Axis[] = [{ stroke: '#77736b', grid: { stroke: '#eee9df' }, ticks: { stroke: '#eee9df' }, values: (_u, splits) => splits.map(hms), space: 70 }]
  for (const a of spec.axes ?? [{ scale: spec.lines[0]!.scale ?? 'y', side: 3 as const, fmt: tick }]) {
    axes.push({ scale: a.scale, side: a.side, stroke: '#77736b', grid: { show: a.side === 3, stroke: '#eee9df' }, ticks: { stroke: '#eee9df' }, size: 64, values: (_u, splits) => splits.map(a.fmt) })
  }
  const opts: uPlot.Options = {
    width: 320,
    height: 160,
    scales,
    axes,
    legend: { live: true },
    cursor: { y: false, points: { size: 6 } },
    series: [{}, ...spec.lines.map((l) => ({ label: l.label, stroke: l.stroke, width: 2, scale: l.scale ?? 'y', dash: l.dash, spanGaps: false, points: { show: l.dots ?? false, size: 6, fill: l.stroke }, value: (_u: uPlot, v: number | null) => (v == null ? '—' : (l.fmt ?? num)(v)) }))],
  }
  const data: (number | null)[][] = [[], ...spec.lines.map(() => [])]
  const plot = new uPlot(opts, data as uPlot.AlignedData, box)
  new ResizeObserver(() => {
    const width = Math.floor(box.clientWidth)
    if (width > 0 && width !== plot.width) plot.setSize({ width, height: 160 })
  }).observe(box)
  return { spec, plot, data, box, figure }
}

function add(s: Sample): void {
  if (previous && s.at - previous.at < 900) return // extra samples after commits: the charts keep a one-second beat
  const dt = previous ? Math.max(0.001, (s.at - previous.at) / 1000) : 1
  const t = s.at / 1000
  for (const c of charts) {
    const values = c.spec.values(previous, s, dt)
    c.data[0]!.push(t)
    values.forEach((v, i) => c.data[i + 1]!.push(v === null || !Number.isFinite(v) ? null : v))
    while (c.data[0]!.length && c.data[0]![0]! < t - WINDOW_S) for (const col of c.data) col.shift()
    if (!c.figure.closest('[hidden]')) draw(c)
    const now = values.map((v, i) => `${c.spec.lines[i]!.label} ${v === null || !Number.isFinite(v) ? 'none' : (c.spec.lines[i]!.fmt ?? num)(v)}`).join(', ')
    c.figure.setAttribute('aria-label', `${c.spec.title}: ${now}`)
  }
  previous = s
}

/** Draws the charts and follows the samples. Cost: O(charts × window) per sample. */
export function wireCharts(): void {
  for (const spec of specs) charts.push(make(spec, $('charts')))
  app.on(['sample'], () => {
    if (!app.sample) return
    add(app.sample)
    if (!$('raw-box').hidden) $('raw').textContent = app.sample.metrics
  })
  const toggle = $('raw-toggle')
  toggle.onclick = () => {
    const box = $('raw-box')
    box.hidden = !box.hidden
    toggle.setAttribute('aria-expanded', String(!box.hidden))
    toggle.textContent = box.hidden ? 'Show Prometheus text' : 'Hide Prometheus text'
    if (!box.hidden) $('raw').textContent = app.sample?.metrics ?? ''
  }
  $('raw-copy').onclick = () => void navigator.clipboard.writeText($('raw').textContent ?? '').then(() => ($('raw-copy').textContent = 'Copied'), () => ($('raw-copy').textContent = 'Copy failed'))
}

/** Redraws the charts with what they hold (when their view becomes visible). Cost: O(window). */
export function showCharts(): void {
  for (const c of charts) {
    const width = Math.floor(c.box.clientWidth)
    if (width > 0 && width !== c.plot.width) c.plot.setSize({ width, height: 160 })
    draw(c)
  }
}
