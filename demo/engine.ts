// The Engine card: stats() laid out so its numbers agree with the rest of the page (keys of the
// head being shown, snapshots split into named ones and history entries, what is in the pages
// file and what is still only in the WAL), plus verify, gc and compact.
import { app } from './app.ts'
import { countKeys } from './counts.ts'
import { $, coalesce, h } from './dom.ts'
import { act, fail } from './feedback.ts'
import { bytes, num } from './format.ts'
import { sampleSoon } from './live.ts'

let keysAtHead: number | undefined

const refreshCount = coalesce(async () => {
  if (!app.shows('engine')) return (keysAtHead = undefined) // O(keys): only when seen
  keysAtHead = await countKeys({}, { branch: app.branch })
  draw()
}, 1000, fail)

function draw(): void {
  const s = app.sample?.stats
  if (!s) return
  const n = (k: string) => Number(s[k] ?? 0)
  const named = n('namedSnapshots') // the engine's counts: every head's, tenants' too
  const history = n('historyEntries')
  const hits = n('cacheHits')
  const misses = n('cacheMisses')
  const groups: [string, [string, string, string?][]][] = [
    [
      'Contents',
      [
        [`keys at the head of ${app.branch}`, keysAtHead === undefined ? '…' : num(keysAtHead)],
        ['branches', num(app.catalog.branches.length)],
        ['tenants', num(app.catalog.tenants.length), 'isolated heads, each with its own snapshots and retention (docs/tenants.md)'],
        ['snapshots kept', `${num(s.snapshots)} = ${num(named)} named + ${num(history)} history`, 'the engine counts history entries (one per commit, for undo) as snapshots too'],
        ['generation (commits ever)', num(s.generation)],
      ],
    ],
    [
      'Pages file',
      [
        ['file size', `${bytes(s.fileBytes)} (${num(s.fileBytes / s.pageSize)} slots of ${bytes(s.pageSize)})`],
        ['live / free slots', `${num(s.pagesLive)} / ${num(s.pagesFree)}`, 'slots in the file: pages of commits since the last checkpoint are not there yet'],
        ['freed at next checkpoint', num(n('pagesPendingFree'))],
        ['WAL since checkpoint', bytes(s.walBytes), 'commits not yet checkpointed: their pages are in memory, the WAL makes them durable'],
      ],
    ],
    [
      app.sample!.role === 'leader' ? 'Since this tab opened the files' : 'Since the owning tab opened the files',
      [
        ['commits / root updates', `${num(n('commits'))} / ${num(s.rootUpdates)}`],
        ['pages created / written', `${num(s.pagesCreated)} / ${num(s.pagesWritten)}`, 'created: copied by writes; written: reached the file at a checkpoint (the rest were replaced first)'],
        ['checkpoints / GC runs', `${num(n('checkpoints'))} / ${num(n('gcRuns'))}`],
        ['page cache hit rate', hits + misses ? `${((100 * hits) / (hits + misses)).toFixed(1)} % of ${num(hits + misses)} reads` : 'no reads yet'],
        ['background errors', num(n('backgroundErrors')), 'failed checkpoints, GC runs or event deliveries (retried, or reported as the error event)'],
      ],
    ],
  ]
  $('stats').replaceChildren(
    ...groups.map(([title, rows]) =>
      h('section', { class: 'stat-group' }, h('h3', {}, title), h('dl', { class: 'stats' }, ...rows.flatMap(([k, v, help]) => [h('dt', { title: help }, k), h('dd', {}, v)]))),
    ),
  )
  $('engine-sub').textContent = app.sample!.role === 'leader' ? 'this tab owns the files' : 'another tab owns the files; this one forwards to it'
  $('engine-note').textContent =
    s.walBytes > 0
      ? `${bytes(s.walBytes)} of recent commits are in the write-ahead log only: the next checkpoint (about a second after the last commit) writes their pages to the file and the numbers above catch up.`
      : 'Everything committed is in the pages file (the WAL is empty after the last checkpoint).'
}

/** Wires the card. Cost: O(1). */
export function wireEngine(): void {
  app.on(['sample', 'catalog'], draw)
  app.on(['data', 'select', 'view'], refreshCount)
  refreshCount()
  const result = (text: string) => ($('maint-result').textContent = text)
  $('verify').onclick = () =>
    void act($<HTMLButtonElement>('verify'), () => app.db.verify({ onProgress: (p) => result(`verifying: ${num(p.done)} / ${num(p.total)} pages`) }), (r) => {
      const text = r.ok ? `verify: ok, ${num(r.pagesChecked)} pages and ${num(r.roots)} roots checked` : `verify: ${r.errors.length} error(s): ${r.errors[0]?.message}`
      result(text)
      return text
    })
  $('gc').onclick = () =>
    void act($<HTMLButtonElement>('gc'), () => app.db.gc(), (g) => {
      const text = `garbage collection: freed ${num(g.pagesFreed)} pages in ${g.durationMs.toFixed(1)} ms; ${num(g.pagesLive)} live, ${num(g.pagesFree)} free`
      result(text)
      return text
    }).then(sampleSoon)
  $('compact').onclick = () =>
    void act($<HTMLButtonElement>('compact'), () => app.db.compact(), (c) => {
      const text = `compact: ${bytes(c.bytesBefore)} → ${bytes(c.bytesAfter)} (${num(c.pagesCopied)} pages copied)`
      result(text)
      return text
    }).then(sampleSoon)
}
