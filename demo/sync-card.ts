// The Sync card, shown when the playground was started with a sync server (`npm start -- --sync`
// hands the page VITE_COWDB_SYNC_URL and VITE_COWDB_SYNC_TOKEN): it syncs the database's main head
// with that server and shows the client's status, the sequence it has merged up to, the conflicts
// it resolved, and a Sync now button. Without them the card stays hidden and @cowdb/sync is never
// loaded. The database is opened with @cowdb/sync's worker (main.ts), so the worker of the tab
// that owns it runs the sync, for every tab: each tab's card mirrors it, and when that tab
// closes, the next owner's worker goes on.
import type { Progress, SyncHandle, SyncStatus } from '@cowdb/sync'
import { app, type Role } from './app.ts'
import { $ } from './dom.ts'
import { fail, say } from './feedback.ts'

const env = import.meta.env ?? {}
const url = env.VITE_COWDB_SYNC_URL
const token = env.VITE_COWDB_SYNC_TOKEN

/** What the card's status pill says: the client's state, with a running round split by phase. */
type Shown = 'starting' | 'synced' | 'pushing' | 'pulling' | 'merging' | 'syncing' | 'offline' | 'error' | 'stopped'

let handle: SyncHandle | undefined
let starting = false

function shown(s: SyncStatus, p: Progress | null): Shown {
  if (s.state === 'idle') return 'synced'
  if (s.state === 'syncing') return p ? ({ push: 'pushing', pull: 'pulling', merge: 'merging' } as const)[p.phase] : 'syncing'
  return s.state
}

function render(state: Shown, s?: SyncStatus): void {
  const pill = $('sync-state')
  pill.textContent = state
  pill.dataset.state = state
  if (!s) return
  $('sync-seq').textContent = s.cursor.toLocaleString('en-US')
  $('sync-head').textContent = s.head.toLocaleString('en-US')
  $('sync-conflicts').textContent = s.conflicts.toLocaleString('en-US')
  $('sync-live').textContent = `${s.live ? 'live' : 'not live'} · ${s.worker ? "run by the owner tab's worker" : 'run by this page'}`
  $('sync-live').title = s.live ? 'the server tells this tab when another device pushes' : 'no live channel: syncs on commits and every 30 s'
  $('sync-when').textContent = s.lastSyncedAt ? new Date(s.lastSyncedAt).toLocaleTimeString() : '–'
  $('sync-error').textContent = s.error && (s.state === 'error' || s.state === 'offline') ? `${s.error.name}: ${s.error.message}` : ''
}

/** Starts the sync client on this tab's database (once). Cost: one sync round to begin with. */
async function start(): Promise<void> {
  if (handle || starting || !url || !token) return
  starting = true
  try {
    const { sync } = await import('@cowdb/sync')
    const h = await sync(app.db, { url, token })
    handle = h
    const update = () => render(shown(h.status, h.progress), h.status)
    h.addEventListener('status', update)
    h.addEventListener('progress', update)
    h.addEventListener('conflict', () => say('sync: a conflict resolved (the later commit won)', 'info'))
    update()
    $<HTMLButtonElement>('sync-now').disabled = false
    $<HTMLButtonElement>('sync-undo').disabled = false
  } catch (e) {
    render('error')
    $('sync-error').textContent = `${(e as Error).name}: ${(e as Error).message}`
  } finally {
    starting = false
  }
}

/** Shows the card and starts syncing if the page was given a server, and this tab owns the database. Cost: O(1). */
export function wireSync(): void {
  if (!url || !token) return
  $('sync-card').hidden = false
  $('sync-where').textContent = url.replace(/^https?:\/\//, '')
  $('sync-where').title = url
  $<HTMLButtonElement>('sync-undo').addEventListener('click', () => void undoMine())
  $<HTMLButtonElement>('sync-now').addEventListener('click', async () => {
    if (!handle) return
    try {
      const s = await handle.syncNow()
      say(`synced up to sequence ${s.cursor.toLocaleString('en-US')}`)
    } catch (e) {
      fail(e)
    }
  })
}

/** Undoes this device's last edit through the sync handle: other devices' merged edits stay. */
async function undoMine(): Promise<void> {
  if (!handle) return
  try {
    const r = await handle.undo()
    if (!r) say('nothing of this device to undo (merges of other devices are not undone)', 'info')
    else say(`undid this device's last edit: ${r.changed.length} key${r.changed.length === 1 ? '' : 's'} set back${r.kept.length ? `, ${r.kept.length} kept (changed since by another device or a later edit)` : ''}`)
  } catch (e) {
    fail(e)
  }
}

/** Whether the page was given a sync server (then the database opens with @cowdb/sync's worker). Cost: O(1). */
export function syncWanted(): boolean {
  return !!url && !!token
}

/** Starts this tab's sync handle once the database is open, whichever tab owns it (the owner's worker runs it). Cost: O(1). */
export function syncOnRole(_role: Role): void {
  if (url && token) void start()
}
