// Follows the database whoever writes (this tab, the console, another tab): a subscription on
// every head pushes each durable commit as it happens, the `catalog` event each snapshot,
// branch, undo/redo or retention change, and a sample every second (stats, metrics, role)
// catches the rest: a checkpoint writing the pages file, another tab taking over.
import type { ChangeEvent } from '@cowdb/browser'
import { app, type Role } from './app.ts'
import { sawGeneration } from './counts.ts'
import { coalesce } from './dom.ts'

export type LiveHooks = {
  /** Each commit's changes, on any head. */
  onCommit(e: ChangeEvent): void
  /** This tab's role changed (a takeover). `before` is undefined at the first sample. */
  onRole(role: Role, before: Role | undefined): void
  /** A background failure the database reported. */
  onError(message: string): void
  /** The database closed; nothing will follow any more. */
  onClosed(reason: string): void
}

const VISIBLE_MS = 1000
/** Tenants whose snapshots each sample lists (besides the one worked on). */
const TENANT_SNAPSHOTS = 20
const HIDDEN_MS = 5000

const subs = new Map<string, () => void>()
let hooks: LiveHooks
let role: Role | undefined
let catalogKey = ''
let generation = -1
let stopped = false

function onCommit(e: ChangeEvent): void {
  sawGeneration(e.commit.generation)
  hooks.onCommit(e)
  if (e.branch === app.branch) app.emit('data')
  sampleSoon()
}

/** Subscribes to heads that appeared, ends those of heads that went. */
async function syncSubscriptions(): Promise<void> {
  const names = new Set(app.heads.map((b) => b.name))
  for (const [name, off] of subs) if (!names.has(name)) (off(), subs.delete(name))
  for (const name of names) {
    if (subs.has(name)) continue
    // a branch dropped meanwhile refuses: the next sample no longer lists it
    const off = await app.db.subscribe({ branch: name }, onCommit).catch(() => undefined)
    if (off) subs.set(name, off)
  }
}

async function sample(): Promise<void> {
  const db = app.db
  // the listings leave out the sync client's own branches and snapshots (named cowdb-sync/...)
  const [stats, metrics, main, branches, tenants, now] = await Promise.all([db.stats(), db.metrics(), db.snapshots(), db.branches(), db.tenants({ space: true }), db.role()])
  // a tenant's snapshots are listed through it: those of the first few tenants and of the one worked on
  const shown = tenants.filter((t, i) => i < TENANT_SNAPSHOTS || t.name === app.branch)
  const snapshots = [...main, ...(await Promise.all(shown.map((t) => db.snapshots({ branch: t.name }).catch(() => [])))).flat()]
  const key = JSON.stringify([snapshots.map((s) => s.id), branches, tenants])
  if (key !== catalogKey) {
    catalogKey = key
    const had = app.heads.some((b) => b.name === app.branch)
    app.catalog = { snapshots, branches, tenants }
    if (had && !app.heads.some((b) => b.name === app.branch)) app.switchBranch('main') // dropped, here or elsewhere
    if (app.at && !snapshots.some((s) => s.id === app.at)) app.select(undefined) // aged out or dropped
    await syncSubscriptions()
    app.emit('catalog')
  }
  // a commit whose event this tab missed (e.g. while another tab was taking over)
  sawGeneration(stats.generation)
  if (stats.generation !== generation) {
    if (generation >= 0) app.emit('data')
    generation = stats.generation
  }
  app.sample = { at: Date.now(), stats, metrics, role: now }
  app.emit('sample')
  if (now !== role) {
    const before = role
    role = now
    hooks.onRole(now, before)
  }
}

function stop(reason: string): void {
  if (stopped) return
  stopped = true
  hooks.onClosed(reason)
}

const guarded = async () => {
  if (stopped) return
  try {
    await sample()
  } catch (e) {
    if ((e as Error)?.name === 'ClosedError') stop('the database was closed')
    else throw e
  }
}

/** Samples again now (coalesced), after this tab's own action or a commit. Cost: one sample. */
export const sampleSoon = coalesce(guarded, 150, (e) => console.warn('playground: a sample failed; the next one retries', e))

/** Starts following `app.db`; resolves after the first sample, with every head subscribed. Cost: one sample a second. */
export async function follow(h: LiveHooks): Promise<void> {
  hooks = h
  const target = app.db as unknown as Partial<EventTarget>
  target.addEventListener?.('close', () => stop('the database was closed'))
  target.addEventListener?.('catalog', () => sampleSoon())
  target.addEventListener?.('error', (e) => hooks.onError(String((e as ErrorEvent).error?.message ?? (e as ErrorEvent).message ?? e)))
  await sample()
  void (async () => {
    while (!stopped) {
      await new Promise((r) => setTimeout(r, document.hidden ? HIDDEN_MS : VISIBLE_MS))
      sampleSoon()
    }
  })()
}
