// The playground: a real cowdb database (worker + OPFS + IndexedDB) with a small UI around it.
import * as cowdb from '@cowdb/browser'
import { drawPages } from './pages.ts'

type Db = Awaited<ReturnType<typeof cowdb.openDB>>
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T
const status = $('status')
const w = window as unknown as { cowdb: typeof cowdb; db?: Db }
w.cowdb = cowdb

let db: Db
let viewing: string | undefined // snapshot id, or head

const show = (v: unknown): string => {
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`
  if (typeof v === 'bigint') return `${v}n`
  if (v instanceof Map) return `Map(${v.size})`
  if (v instanceof Date) return v.toISOString()
  const s = JSON.stringify(v)
  return s === undefined ? String(v) : s.length > 120 ? s.slice(0, 117) + '…' : s
}
const parseValue = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
const cell = (text: string, cls = '') => {
  const td = document.createElement('td')
  td.textContent = text
  if (cls) td.className = cls
  return td
}

async function refreshRows() {
  const prefix = $<HTMLInputElement>('prefix').value
  const range = prefix ? cowdb.prefixRange(prefix) : {}
  const rows = await db.scan({ ...range, limit: 50, snapshot: viewing })
  const total = await db.count(range, { snapshot: viewing })
  const body = $('rows').querySelector('tbody')!
  body.replaceChildren(...rows.map(([k, v]) => {
    const tr = document.createElement('tr')
    tr.append(cell(show(k)), cell(show(v)))
    return tr
  }))
  $('more').textContent = total > rows.length ? `showing ${rows.length} of ${total} keys` : `${total} keys`
  $('viewing').textContent = viewing ? `at snapshot ${viewing}` : 'at head'
  $('back-to-head').hidden = !viewing
}

async function refreshSnapshots() {
  const list = (await db.snapshots()).filter((s) => s.kind !== 'history') // history entries back undo/redo
  const ol = $('snapshots')
  ol.replaceChildren(...list.reverse().map((s) => {
    const li = document.createElement('li')
    const id = document.createElement('span')
    id.className = 'id'
    id.textContent = `${s.label ? s.label + ' · ' : ''}${new Date(s.createdAt).toLocaleTimeString()} · gen ${s.generation}`
    id.title = s.id
    const button = (text: string, fn: () => Promise<unknown>, ghost = true) => {
      const b = document.createElement('button')
      b.textContent = text
      if (ghost) b.className = 'ghost'
      b.onclick = () => void fn().then(refreshAll).catch(report)
      return b
    }
    li.append(
      id,
      button('view', async () => (viewing = s.id)),
      button('diff', () => showDiff(s.id)),
      button('restore', async () => { await db.restore(s.id); viewing = undefined }),
      button('drop', async () => { await db.dropSnapshot(s.id); if (viewing === s.id) viewing = undefined }),
    )
    return li
  }))
}

async function showDiff(id: string) {
  const changes = await db.diff(id)
  $('diff-card').hidden = false
  $('diff-title').textContent = `${changes.length} change(s) from snapshot to head`
  $('diff').querySelector('tbody')!.replaceChildren(...changes.slice(0, 100).map((c) => {
    const tr = document.createElement('tr')
    tr.append(cell(show(c.key)), cell(c.before === undefined ? '—' : show(c.before), 'del'), cell(c.after === undefined ? '—' : show(c.after), 'add'))
    return tr
  }))
}

async function refreshEngine() {
  const s = await db.stats()
  const pick: [string, unknown][] = [
    ['generation', s.generation], ['pages live', s.pagesLive], ['pages free', s.pagesFree], ['pages created', s.pagesCreated],
    ['file bytes', s.fileBytes], ['WAL bytes', s.walBytes], ['snapshots', s.snapshots], ['cache hits / misses', `${s.cacheHits} / ${s.cacheMisses}`],
  ]
  $('stats').replaceChildren(...pick.flatMap(([k, v]) => {
    const dt = document.createElement('dt')
    dt.textContent = k
    const dd = document.createElement('dd')
    dd.textContent = String(v)
    return [dt, dd]
  }))
  $('metrics').textContent = (await db.metrics()).split('\n').filter((l) => l && !l.includes('_bucket')).join('\n')
}

async function refreshHistory() {
  const [main] = await db.branches()
  $<HTMLButtonElement>('undo').disabled = !main || main.undoable === 0
  $<HTMLButtonElement>('redo').disabled = !main || main.redoable === 0
  $('history').textContent = main ? `${main.undoable} undo · ${main.redoable} redo` : ''
}

/** The pages card compares the head with the snapshot being viewed, else the newest named one. */
async function refreshPages() {
  const named = (await db.snapshots()).filter((s) => s.kind !== 'history')
  const against = named.find((s) => s.id === viewing) ?? named.at(-1)
  await drawPages(db, $('pages'), $('pages-legend'), against)
}

async function refreshAll() {
  await Promise.all([refreshRows(), refreshSnapshots(), refreshEngine(), refreshHistory(), refreshPages()])
}

function report(e: unknown) {
  const err = e as Error
  $('write-result').textContent = `${err.name}: ${err.message}`
  $('write-result').className = 'del'
}

function wire() {
  $('put-form').addEventListener('submit', (e) => {
    e.preventDefault()
    const key = $<HTMLInputElement>('key').value
    const value = parseValue($<HTMLInputElement>('value').value)
    db.put(key, value)
      .then((c) => {
        $('write-result').className = 'muted'
        $('write-result').textContent = `committed: generation ${c.generation}, root page ${c.root}`
      })
      .then(refreshAll)
      .catch(report)
  })
  $('delete').onclick = () => void db.delete($<HTMLInputElement>('key').value).then(refreshAll).catch(report)
  $('fill').onclick = () => {
    const words = ['apple', 'banana', 'cherry', 'dates', 'elder', 'fig', 'grape', 'honey']
    const ops = Array.from({ length: 1000 }, (_, i) => ({
      type: 'put' as const,
      key: `${words[i % words.length]}:${Math.random().toString(36).slice(2, 8)}`,
      value: { n: i, at: Date.now() },
    }))
    void db.batch(ops).then(refreshAll).catch(report)
  }
  $('clear').onclick = () => void db.deleteRange({}).then(refreshAll).catch(report)
  const move = (c: { generation: number } | null, what: string) => {
    $('write-result').className = 'muted'
    $('write-result').textContent = c ? `${what}: head moved to an earlier root as generation ${c.generation} (no page copied)` : `nothing to ${what}`
  }
  $('undo').onclick = () => void db.undo().then((c) => move(c, 'undo')).then(refreshAll).catch(report)
  $('redo').onclick = () => void db.redo().then((c) => move(c, 'redo')).then(refreshAll).catch(report)
  $('snap').onclick = () => {
    const label = $<HTMLInputElement>('label').value || undefined
    void db.snapshot({ label }).then(refreshAll).catch(report)
  }
  $('prefix').addEventListener('input', () => void refreshRows().catch(report))
  $('back-to-head').onclick = () => {
    viewing = undefined
    void refreshRows()
  }
  $('verify').onclick = () =>
    void db.verify().then((r) => ($('engine-result').textContent = r.ok ? `verify: ok, ${r.pagesChecked} pages checked` : `verify: ${r.errors.length} error(s): ${r.errors[0]?.message}`))
  $('export').onclick = () =>
    void (async () => {
      const bytes = await db.exportBackup({ onProgress: (p) => ($('engine-result').textContent = `export: ${p.done.toLocaleString()} / ${p.total.toLocaleString()} entries`) })
      const link = document.createElement('a')
      link.href = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }))
      link.download = `playground-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.cowdb`
      link.click()
      URL.revokeObjectURL(link.href)
      $('engine-result').textContent = `exported ${(bytes.length / 1024).toFixed(1)} KiB: read it with dbctl --db FILE`
      await refreshAll()
    })().catch(report)
  $<HTMLInputElement>('import').onchange = (e) =>
    void (async () => {
      const file = (e.target as HTMLInputElement).files?.[0]
      if (!file) return
      const snap = await db.importBackup(new Uint8Array(await file.arrayBuffer()), { onProgress: (p) => ($('engine-result').textContent = `import: ${p.done.toLocaleString()} / ${p.total.toLocaleString()}`) })
      $('engine-result').textContent = `imported ${file.name} (snapshot ${snap.label})`
      await refreshAll()
    })().catch(report)
  $('compact').onclick = () =>
    void db
      .compact()
      .then((c) => ($('engine-result').textContent = `compact: ${(c.bytesBefore / 1024).toFixed(0)} KiB → ${(c.bytesAfter / 1024).toFixed(0)} KiB (${c.pagesCopied} pages copied)`))
      .then(refreshEngine)
      .catch(report)
  $('gc').onclick = () =>
    void db.gc().then((g) => ($('engine-result').textContent = `gc: freed ${g.pagesFreed} pages in ${g.durationMs.toFixed(1)} ms`)).then(refreshEngine)
}

/** The live feed: newest commit first, the last 50 kept, at most 4 changes shown per commit. */
function follow(e: cowdb.ChangeEvent) {
  const feed = $('feed')
  if (feed.firstElementChild?.classList.contains('muted')) feed.replaceChildren()
  const li = document.createElement('li')
  const gen = document.createElement('span')
  gen.className = 'gen'
  gen.textContent = `#${e.commit.generation}${e.branch === 'main' ? '' : ` (${e.branch})`} · ${e.changes.length} change${e.changes.length === 1 ? '' : 's'}`
  li.append(gen)
  for (const c of e.changes.slice(0, 4)) {
    const k = show(c.key)
    const [kind, text] =
      c.before === undefined ? ['add', `+ ${k} = ${show(c.after)}`] : c.after === undefined ? ['del', `− ${k}`] : ['mod', `~ ${k}: ${show(c.before)} → ${show(c.after)}`]
    const span = document.createElement('span')
    span.className = `chg ${kind}`
    span.textContent = text
    li.append(span)
  }
  if (e.changes.length > 4) li.append(' …')
  feed.prepend(li)
  while (feed.children.length > 50) feed.lastElementChild!.remove()
}

async function main() {
  try {
    db = await cowdb.openDB('playground', { retention: { keepLast: 100 } })
    w.db = db
    status.textContent = (await db.role()) === 'leader' ? 'running · OPFS + IndexedDB' : 'running · shared with another tab'
    status.title = 'open the playground in a second tab: both share one database, and the live feeds follow each other'
    status.className = 'pill ok'
    wire()
    await db.subscribe({}, follow)
    await refreshAll()
    if ((await db.count()) === 0) {
      await db.batch([
        { type: 'put', key: 'todo:1', value: { title: 'try cowdb', done: false } },
        { type: 'put', key: 'todo:2', value: { title: 'take a snapshot', done: false } },
      ])
      await refreshAll()
    }
  } catch (e) {
    status.textContent = `not running: ${(e as Error).name}`
    status.className = 'pill bad'
    report(e)
  }
}

void main()
