// The playground: a real cowdb database (worker + OPFS + IndexedDB) with views around it that
// follow it whoever writes. `window.db` and `window.cowdb` are there for the console (and tests).
import * as cowdb from '@cowdb/browser'
import { app } from './app.ts'
import { wireBackup } from './backup.ts'
import { showCharts, wireCharts } from './charts.ts'
import { wireData } from './data-view.ts'
import { wireDiff } from './diff-view.ts'
import { $ } from './dom.ts'
import { wireEngine } from './engine.ts'
import { addToFeed } from './feed.ts'
import { fail, installFeedback, say } from './feedback.ts'
import { wireGenerator } from './generator.ts'
import { wireHeads } from './heads.ts'
import { wireHistory } from './history-view.ts'
import { follow } from './live.ts'
import { wirePages } from './pages.ts'
import { syncOnRole, syncWanted, wireSync } from './sync-card.ts'
import { wireTabs } from './tabs.ts'
import { wireTimeline } from './timeline.ts'
import { wireWrite } from './write.ts'

const w = window as unknown as { cowdb: typeof cowdb; db?: cowdb.BrowserDatabase }
w.cowdb = cowdb

function pill(text: string, kind: 'ok' | 'bad' | '', title = ''): void {
  const el = $('status')
  el.textContent = text
  el.className = `pill ${kind}`
  el.title = title
}

/** A first visit finds a few todos, two commits of history and a named snapshot to travel to. */
async function seed(db: cowdb.BrowserDatabase): Promise<void> {
  if ((await db.count()) > 0 || (await db.snapshots()).length > 0) return
  await db.batch([
    { type: 'put', key: 'todo:1', value: { title: 'try cowdb', done: false } },
    { type: 'put', key: 'todo:2', value: { title: 'take a snapshot', done: false } },
  ])
  await db.snapshot({ label: 'first look' })
  await db.put('todo:1', { title: 'try cowdb', done: true })
  await db.put('todo:3', { title: 'drag the timeline back to “first look”', done: false })
}

async function main(): Promise<void> {
  installFeedback()
  wireTabs((view) => {
    if (view === 'metrics') showCharts()
    app.emit('view')
  })
  try {
    // with a sync server, @cowdb/sync's worker: the tab that owns the database runs the sync in it
    const worker = syncWanted() ? (await import('@cowdb/sync')).syncWorker() : undefined
    app.db = await cowdb.openDB('playground', { retention: { keepLast: 100 }, ...(worker ? { worker } : {}) })
    w.db = app.db
    for (const wire of [wireWrite, wireData, wireTimeline, wireHistory, wireHeads, wireDiff, wirePages, wireGenerator, wireEngine, wireBackup, wireCharts, wireSync]) wire()
    await seed(app.db)
    await follow({
      onCommit: addToFeed,
      onRole: (role, before) => {
        syncOnRole(role)
        if (role === 'leader') pill('this tab owns the database', 'ok', 'its worker holds the OPFS files; other tabs forward their calls here')
        else pill('shared with another tab', 'ok', 'another tab’s worker owns the files; this tab forwards its calls there and takes over if that tab closes')
        if (before === 'follower' && role === 'leader') say('This tab took over the database: the tab that owned it closed. Nothing was lost; the engine’s counters start again here.', 'info')
      },
      onError: (message) => say(`background error: ${message}`, 'error'),
      onClosed: (reason) => pill(`stopped: ${reason}`, 'bad'),
    })
    app.emit('catalog')
    app.emit('select')
    app.emit('data')
  } catch (e) {
    pill(`not running: ${(e as Error).name}`, 'bad')
    fail(e)
  }
}

void main()
