// The client sync engine: one loop per database and remote that pushes the head's changes since
// the base, pulls what others pushed since the cursor, and merges in one commit.
//
// A round, and why each step is safe to cut short (a crash, a closed tab, the server gone):
//  1. push: snapshot the head (P), diff(base, P), stamp each key with its commit HLC, and save
//     { push id, P, HLCs } before sending. Sending again after any failure sends the same bytes
//     under the same push id, and the server appends a push id once.
//  2. pull the log (cursor, upTo]; save upTo before merging, so a resumed merge merges the
//     same window.
//  3. merge: apply the window's state to the base (and snapshot it), then one transaction on
//     the head sets each key to its merged value only where the head still holds what the
//     merge expects (P's value, or the base's), so running it twice changes nothing the second
//     time and never overwrites a later edit; then save { cursor: upTo, base } and drop the
//     old snapshots. An interrupted round resumes from the saved state.

import { decodeKey, decodeValue, encodeKey, encodeValue, Hlc, type Change, type Key, type Value } from '@cowdb/core'
import { encodeChangeSet, type LogEntry } from '../protocol.js'
import { dbUrl, retryable, SyncOfflineError, type Remote, type TokenSource } from './http.js'
import { openLive, type LiveChannel } from './live.js'
import { branchLocalSync, keyId, type LocalSync, type SyncDatabase, type SyncState } from './local.js'
import { planMerge, type KeyPlan } from './merge.js'
import { OwnEdits, type UndoResult } from './own-edits.js'
import { attach, type MakeEngine } from './host.js'
import { runOnce } from './runner.js'
import { fetchHead, pullAll, stateEntries, upload, type Progress, type Pulled } from './transfer.js'

/** Resolves a conflict: the key, its value at the base, here, and on the other device (undefined: absent). Return undefined to delete. */
export type Resolver = (key: Key, base: Value | undefined, local: Value | undefined, remote: Value | undefined) => Value | undefined | Promise<Value | undefined>

export type SyncOptions = {
  /** The database on the sync server: `https://host/db/<name>`. */
  url: string
  /** Bearer token scoped to that database, or a function returning a fresh one. */
  token: TokenSource
  /** Custom conflict resolution; default: the write with the later commit HLC wins. */
  resolve?: Resolver
  /** Sync on local commits, on the live channel and every intervalMs (default true); false: only syncNow(). */
  auto?: boolean
  /** Follow the server's live channel (default true, with auto). */
  live?: boolean
  /** A backstop round this often even when nothing was heard. Default 30 s. */
  intervalMs?: number
  /** Local commits are pushed this long after the last one (bursts share a push). Default 25 ms. */
  debounceMs?: number
  /** Retry delays: from minMs doubling to maxMs, with jitter. Default 250 ms to 30 s. */
  backoff?: { minMs?: number; maxMs?: number }
  /** Largest request; default the server's limit. Change sets larger go in parts. */
  partBytes?: number
  /** Name of this remote in the local database (default: from the URL). */
  remote?: string
  fetch?: typeof fetch
  /** Wall clock for commit HLCs (tests). */
  now?: () => number
  /** Engine support for sync state (default: built from branches and snapshots, see local.ts). */
  local?: LocalSync
  /**
   * In a browser, whether the worker that owns the database runs the sync (default true; see
   * host.ts). False runs it in this page (one page per database, as in Node). With `fetch`,
   * `now` or `local` it runs in the page too: functions other than `token` and `resolve` cannot
   * cross to the worker (those two are called back in a page that has them).
   */
  worker?: boolean
}

export type SyncState_ = 'starting' | 'syncing' | 'idle' | 'offline' | 'error' | 'stopped'

export type SyncStatus = {
  state: SyncState_
  device: string
  /** The server sequence this device has merged up to. */
  cursor: number
  /** The server's head, as last heard. */
  head: number
  /** Whether the live channel is connected. */
  live: boolean
  lastSyncedAt?: number
  /** The last failure (kept until a round succeeds). */
  error?: Error
  /** Conflicts seen in this session (resolved by the policy or the resolver). */
  conflicts: number
  /**
   * Whether this handle runs the sync (true) or is a standby mirroring the handle that does
   * (false): one handle per database and remote runs, in one tab (see runner.ts).
   */
  runner: boolean
  /** Whether the sync runs in the worker that owns the database (host.ts), not in a page. */
  worker: boolean
}

/** A conflict this device saw: the value it kept, and which rule chose it. */
export type ConflictInfo = { key: Key; local: Value | undefined; remote: Value | undefined; result: Value | undefined; by: 'hlc' | 'resolver' }

export interface SyncHandle extends EventTarget {
  /** Current status; a 'status' event fires on every change. */
  readonly status: SyncStatus
  /** Progress of the running push or pull ('progress' events), null between rounds. */
  readonly progress: Progress | null
  /**
   * Runs a round now (or after the running one); resolves when it is done, rejects if it fails.
   * On a standby it asks the runner, and waits for the next runner while there is none.
   */
  syncNow(): Promise<SyncStatus>
  /**
   * Reverts this device's last commit on main (not a merge of other devices' edits), key by key
   * on top of the head, as a new commit that syncs like any edit; a key changed since keeps its
   * newer value (`kept`). Null when there is nothing to undo. The engine's `db.undo()` is time
   * travel instead: right after a sync it would take the merged edits out, everywhere (own-edits.ts).
   * On a standby it asks the runner. Cost: one transaction over that commit's keys.
   */
  undo(): Promise<UndoResult | null>
  /** Writes back what the last undo() took out, where nothing changed it since. Null when there is nothing to redo. Cost: as undo(). */
  redo(): Promise<UndoResult | null>
  /** Stops syncing (a round in flight finishes first); local data and sync state stay. A runner that stops hands over to the next standby. */
  stop(): Promise<void>
}

const uuid = () => crypto.randomUUID()
const enc = (v: Value | undefined): Uint8Array | null => (v === undefined ? null : encodeValue(v))
const dec = (b: Uint8Array | null): Value | undefined => (b === null ? undefined : decodeValue(b))
const same = (a: Uint8Array | null, b: Uint8Array | null) => (a === null || b === null ? a === b : a.length === b.length && a.every((x, i) => x === b[i]))

/** A short, stable name for a URL (branch names are at most 200 characters). */
function remoteName(url: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < url.length; i++) h = Math.imul(h ^ url.charCodeAt(i), 0x01000193) >>> 0
  const host = url.replace(/^https?:\/\//, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(-60)
  return `${host}-${h.toString(16)}`
}

/**
 * Starts syncing `db` (main head) with the database at `opts.url`: resumes an interrupted round,
 * then syncs on every local commit, on the live channel, and every intervalMs, retrying with
 * backoff while offline. One handle per database and remote runs at a time (across tabs too):
 * a later call resolves at once as a standby of that runner (`status.runner` false, see
 * runner.ts). Cost per round: the change since the last sync, both ways.
 */
export async function sync(db: SyncDatabase, opts: SyncOptions): Promise<SyncHandle> {
  const engine = new SyncEngine(db, opts)
  return (await attach(db, opts, engine.remoteName, engine)) ?? runOnce(db, engine.remoteName, engine)
}

/** The engine a worker hosting the sync of the database it owns runs (host.ts). */
export const hostedEngine: MakeEngine = (db, opts) => new SyncEngine(db, opts, true)

class SyncEngine extends EventTarget implements SyncHandle {
  status: SyncStatus
  progress: Progress | null = null
  private readonly remote: Remote
  private readonly local: LocalSync
  private readonly clock: Hlc
  private state!: SyncState
  private running: Promise<void> | null = null
  private again = false
  private failures = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  private interval: ReturnType<typeof setInterval> | undefined
  private live: LiveChannel | undefined
  private waiters: { resolve: (s: SyncStatus) => void; reject: (e: unknown) => void }[] = []
  private partBytes: number | undefined
  /** The head may differ from the base: set by every commit the tracker hears (and at start). */
  private dirty = true
  /** The push's diff, kept between the steps of one round. */
  private pushDiff: { snap: string; changes: Change[] } | undefined
  private readonly onOnline = () => this.schedule(0)
  private readonly auto: boolean
  /** This device's own commits, for undo() and redo(). */
  private readonly own = new OwnEdits()
  /** This remote's name in the local database (its sync branches). */
  readonly remoteName: string

  constructor(
    private readonly db: SyncDatabase,
    private readonly opts: SyncOptions,
    inWorker = false,
  ) {
    super()
    const url = dbUrl(opts.url)
    if (typeof opts.token !== 'string' && typeof opts.token !== 'function') throw new TypeError('cowdb-sync: token must be a string or a function returning one')
    if (opts.resolve !== undefined && typeof opts.resolve !== 'function') throw new TypeError('cowdb-sync: resolve must be a function (key, base, local, remote) => value')
    this.remote = { url, token: opts.token, ...(opts.fetch ? { fetch: opts.fetch } : {}) }
    this.remoteName = opts.remote ?? remoteName(url)
    this.local = opts.local ?? branchLocalSync(db, this.remoteName)
    this.clock = new Hlc(opts.now ?? Date.now)
    this.auto = opts.auto ?? true
    this.status = { state: 'starting', device: '', cursor: 0, head: 0, live: false, conflicts: 0, runner: true, worker: inWorker }
  }

  async start(): Promise<void> {
    let st = await this.local.load()
    if (!st) {
      const base = await this.local.initBase()
      st = { v: 1, url: this.remote.url, device: uuid(), cursor: 0, base, clock: this.clock.next() }
      await this.local.save(st)
    }
    this.clock.observe(st.clock)
    this.state = st
    await this.local.dropSnapshotsExcept([st.base, ...(st.push ? [st.push.snap] : [])])
    await this.local.track(this.clock, (e) => {
      if (e) this.own.record(e)
      this.dirty = true
      if (this.auto) this.schedule(this.opts.debounceMs ?? 25)
    })
    this.setStatus({ device: st.device, cursor: st.cursor, head: Math.max(this.status.head, st.cursor) })
    if (!this.auto) return this.setStatus({ state: 'idle' })
    if (this.opts.live ?? true) {
      this.live = openLive(
        this.remote,
        (seq) => {
          this.setStatus({ head: seq })
          if (seq > this.state.cursor) this.schedule(0)
        },
        (up) => {
          this.setStatus({ live: up })
          if (up) this.schedule(0)
        },
        (n) => this.backoff(n),
      )
    }
    this.interval = setInterval(() => {
      this.dirty = true // the backstop also looks at the head
      this.schedule(0)
    }, this.opts.intervalMs ?? 30_000)
    ;(globalThis as { addEventListener?: (t: string, f: () => void) => void }).addEventListener?.('online', this.onOnline)
    this.schedule(0)
  }

  syncNow(): Promise<SyncStatus> {
    if (this.status.state === 'stopped') return Promise.reject(new Error('cowdb-sync: stopped'))
    // a commit's event can reach the tracker after its promise resolved (across the worker
    // boundary, or a microtask later): an explicit request always looks at the head
    this.dirty = true
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject })
      this.kick()
    })
  }

  undo(): Promise<UndoResult | null> {
    return this.between(() => this.own.undo(this.db))
  }

  redo(): Promise<UndoResult | null> {
    return this.between(() => this.own.redo(this.db))
  }

  /** Runs `fn` between rounds (no merge in flight), holding the next round back until it is done. */
  private async between<T>(fn: () => Promise<T>): Promise<T> {
    if (this.status.state === 'stopped') throw new Error('cowdb-sync: stopped')
    while (this.running) await this.running.catch(() => {})
    const result = fn()
    this.running = result.then(
      () => {},
      () => {},
    )
    void this.running.then(() => {
      this.running = null
      if (this.again || this.waiters.length) this.kick()
    })
    return result
  }

  async stop(): Promise<void> {
    if (this.status.state === 'stopped') return
    clearTimeout(this.timer)
    clearInterval(this.interval)
    this.live?.close()
    ;(globalThis as { removeEventListener?: (t: string, f: () => void) => void }).removeEventListener?.('online', this.onOnline)
    this.again = false
    await this.running
    await this.local.close()
    this.setStatus({ state: 'stopped', live: false })
    for (const w of this.waiters.splice(0)) w.reject(new Error('cowdb-sync: stopped'))
  }

  private schedule(delay: number): void {
    if (this.status.state === 'stopped') return
    if (this.timer !== undefined) {
      if (delay > 0) return // a round is already due
      clearTimeout(this.timer)
    }
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.kick()
    }, delay)
  }

  private kick(): void {
    if (this.running) {
      this.again = true
      return
    }
    this.running = this.loop().finally(() => {
      this.running = null
      // a syncNow() that arrived while the loop was ending must not wait for the next trigger
      if (this.waiters.length && this.status.state !== 'stopped') this.kick()
    })
  }

  private async loop(): Promise<void> {
    do {
      this.again = false
      const waiters = this.waiters.splice(0)
      try {
        await this.round()
        this.failures = 0
        this.setStatus({ state: 'idle', error: undefined, lastSyncedAt: Date.now() })
        for (const w of waiters) w.resolve(this.status)
        this.dispatchEvent(new CustomEvent('synced', { detail: this.status }))
      } catch (e) {
        this.progress = null
        this.failures++
        const offline = e instanceof SyncOfflineError || (typeof navigator !== 'undefined' && navigator.onLine === false)
        this.setStatus({ state: offline ? 'offline' : 'error', error: e as Error })
        for (const w of waiters) w.reject(e)
        // every failure is retried: a 4xx may clear too (a refreshed token, a raised limit)
        if (this.auto) this.schedule(this.backoff(retryable(e) ? this.failures : Math.max(this.failures, 6)))
        return
      }
    } while (this.again && this.status.state !== 'stopped')
  }

  private backoff(attempt: number): number {
    const min = this.opts.backoff?.minMs ?? 250
    const max = this.opts.backoff?.maxMs ?? 30_000
    const d = Math.min(max, min * 2 ** Math.min(attempt - 1, 20))
    return d / 2 + Math.random() * (d / 2)
  }

  private setStatus(s: Partial<SyncStatus>): void {
    this.status = { ...this.status, ...s }
    this.dispatchEvent(new CustomEvent('status', { detail: this.status }))
  }

  private onProgress = (p: Progress) => {
    this.progress = p
    this.dispatchEvent(new CustomEvent('progress', { detail: p }))
  }

  private async save(st: SyncState): Promise<void> {
    await this.local.save(st)
    this.state = st
  }

  /** The push's changes: diff(base, pushed snapshot), computed once per round. */
  private async pushChanges(st: SyncState): Promise<Change[]> {
    if (!st.push) return []
    if (this.pushDiff?.snap !== st.push.snap) this.pushDiff = { snap: st.push.snap, changes: await this.db.diff(st.base, st.push.snap) }
    return this.pushDiff.changes
  }

  private async round(): Promise<void> {
    this.setStatus({ state: 'syncing' })
    let st = this.state
    if (!st.push && this.dirty) {
      this.dirty = false // cleared before the snapshot: a commit after it sets it again
      const snap = await this.local.snapshotHead()
      const changes = await this.db.diff(st.base, snap)
      if (!changes.length) await this.db.dropSnapshot(snap)
      else {
        const recorded = await this.local.commitHlcs(changes.map((c) => c.key))
        const at = this.clock.next() // keys changed while sync was not running: the push's HLC
        this.pushDiff = { snap, changes }
        await this.save({ ...st, clock: at, push: { id: uuid(), snap, hlcs: recorded.map((h) => h ?? at) } })
        st = this.state
        await this.local.forgetHlcs(at)
      }
    }
    if (st.push && st.push.seq === undefined) {
      const changes = await this.pushChanges(st)
      const hlcs = st.push.hlcs
      const payload = encodeChangeSet({
        device: st.device,
        base: st.cursor,
        entries: changes.map((c, i) => ({ key: encodeKey(c.key), value: enc(c.after), hlc: hlcs[i]! })),
      })
      this.partBytes ??= Math.min(this.opts.partBytes ?? Infinity, (await fetchHead(this.remote)).partBytes)
      const { seq } = await upload(this.remote, st.push.id, payload, this.partBytes, this.onProgress)
      await this.save({ ...st, push: { ...st.push, seq } })
      st = this.state
    }
    const pulled = await this.pull(st)
    this.setStatus({ head: Math.max(this.status.head, pulled.upTo) })
    if (pulled.upTo <= st.cursor) {
      this.progress = null
      return
    }
    if (!st.pull) {
      await this.save({ ...st, pull: { upTo: pulled.upTo } })
      st = this.state
    }
    for (const e of pulled.entries) if (e.hlc) this.clock.observe(e.hlc)
    const changes = await this.pushChanges(st)
    const plan = planMerge({ entries: pulled.entries, ...(st.push?.seq !== undefined ? { own: st.push.seq } : {}), pushed: new Set(changes.map((c) => keyId(c.key))) })
    this.onProgress({ phase: 'merge', done: 0, total: plan.size })
    const baseOps = [...plan.values()].flatMap((p) => (p.final === undefined ? [] : [p.final === null ? { type: 'delete' as const, key: decodeKey(p.key) } : { type: 'put' as const, key: decodeKey(p.key), value: decodeValue(p.final) }]))
    let newBase = await this.local.advanceBase(baseOps)
    // the head before the merge: the pushed snapshot, or one taken now
    const pre = st.push ? st.push.snap : await this.local.snapshotHead()
    const merged = await this.mergeHead(st, plan, changes)
    this.own.made(merged.writes)
    const shared = merged.exact ? await this.shareBase(st, pre, merged.writes) : undefined
    if (shared) {
      await this.db.dropSnapshot(newBase).catch(() => {})
      newBase = shared
    }
    if (!st.push) await this.db.dropSnapshot(pre).catch(() => {})
    const old = [st.base, ...(st.push ? [st.push.snap] : [])]
    await this.save({ v: 1, url: st.url, device: st.device, cursor: pulled.upTo, base: newBase, clock: this.clock.next() })
    for (const id of old) await this.db.dropSnapshot(id).catch(() => {})
    this.pushDiff = undefined
    this.progress = null
    this.setStatus({ cursor: pulled.upTo })
  }

  /** The window to merge: the log after the cursor, or for a device that has nothing yet, the state at the head. */
  private async pull(st: SyncState): Promise<Pulled> {
    if (st.cursor === 0 && !st.push && st.pull === undefined) {
      // a fresh device restores the state at the head (one entry per live key, not the history)
      const entries: LogEntry[] = []
      let at = 0
      // the sequence the state was read at, not the head later: a push in between is pulled next
      for await (const e of stateEntries(this.remote, {}, (seq) => (at = seq))) {
        entries.push({ seq: e.at, idx: entries.length, key: e.key, value: e.value, hlc: '', applied: true })
        if (entries.length % 1000 === 0) this.onProgress({ phase: 'pull', done: entries.length, total: entries.length })
      }
      return { upTo: at, entries, sets: new Map() }
    }
    return pullAll(this.remote, st.cursor, st.pull?.upTo, this.onProgress)
  }

  /**
   * The base as a copy of the merged head, sharing its pages, when the head now holds exactly
   * the server's state at upTo: the merge wrote exactly `writes` on top of `pre`, and `pre` was
   * the old base plus the pushed changes. Bases built key by key share no pages with the head,
   * and diff(base, head) would then walk the whole store at every sync instead of the change.
   * Undefined when it does not hold (an edit kept for the next push, a resolver's value, a commit
   * that slipped in): the base applied key by key stays. Cost: O(change) diffs.
   */
  private async shareBase(st: SyncState, pre: string, writes: Map<string, Uint8Array | null>): Promise<string | undefined> {
    if (!st.push && (await this.db.diff(st.base, pre)).length) return undefined
    const merged = await this.local.snapshotHead()
    try {
      const d = await this.db.diff(pre, merged)
      if (d.length !== writes.size || !d.every((c) => writes.has(keyId(c.key)) && same(enc(c.after), writes.get(keyId(c.key))!))) return undefined
      return await this.local.rebase(merged)
    } finally {
      await this.db.dropSnapshot(merged).catch(() => {})
    }
  }

  /**
   * Merges the window into the head in one transaction: a key takes its merged value only while
   * the head holds what the merge expects there (the pushed value for a pushed key, the base
   * value for others); anything else is a later local edit and stays for the next push.
   */
  private async mergeHead(st: SyncState, plan: Map<string, KeyPlan>, pushed: Change[]): Promise<{ writes: Map<string, Uint8Array | null>; exact: boolean }> {
    const mine = new Map(pushed.map((c) => [keyId(c.key), c]))
    const others = [...plan.keys()].filter((id) => !mine.has(id))
    const otherKeys = others.map((id) => decodeKey(plan.get(id)!.key))
    const baseValues = otherKeys.length ? await this.db.getMany(otherKeys, { snapshot: st.base }) : []
    type Item = { key: Key; expected: Uint8Array | null; target: () => Promise<Uint8Array | null>; conflict?: (result: Uint8Array | null) => ConflictInfo }
    const items: Item[] = []
    others.forEach((id, i) => {
      const expected = enc(baseValues[i])
      const final = plan.get(id)!.final
      items.push({ key: otherKeys[i]!, expected, target: async () => (final === undefined ? expected : final) })
    })
    const memo = new Map<string, Uint8Array | null>()
    for (const [id, c] of mine) {
      const p = plan.get(id)
      const server = p?.final === undefined ? enc(c.before) : p.final
      const conflict = p?.conflict
      const remote = conflict ? (conflict.remote === 'base' ? c.before : dec(conflict.remote)) : undefined
      const resolve = this.opts.resolve
      items.push({
        key: c.key,
        expected: enc(c.after),
        target: async () => {
          if (!conflict || !resolve) return server
          if (!memo.has(id)) memo.set(id, enc(await resolve(c.key, c.before, c.after, remote)))
          return memo.get(id)!
        },
        ...(conflict ? { conflict: (result: Uint8Array | null) => ({ key: c.key, local: c.after, remote, result: dec(result), by: resolve ? 'resolver' : 'hlc' }) } : {}),
      })
    }
    const seen: ConflictInfo[] = []
    const writes = new Map<string, Uint8Array | null>()
    let exact = true
    await this.db.transaction(
      async (tx) => {
        seen.length = 0
        writes.clear()
        exact = true
        const current = await Promise.all(items.map((it) => tx.get(it.key)))
        for (let i = 0; i < items.length; i++) {
          const it = items[i]!
          const cur = enc(current[i])
          if (!same(cur, it.expected)) {
            exact = false
            continue // changed here after the pushed snapshot (or merged before a crash)
          }
          const t = await it.target()
          if (it.conflict) seen.push(it.conflict(t))
          if (it.conflict && this.opts.resolve) exact = false // a resolver's value is a new local write
          if (same(t, cur)) continue
          writes.set(keyId(it.key), t)
          if (t === null) tx.delete(it.key)
          else tx.put(it.key, decodeValue(t))
        }
      },
      { retries: 50 },
    )
    if (seen.length) this.setStatus({ conflicts: this.status.conflicts + seen.length })
    for (const c of seen) this.dispatchEvent(new CustomEvent('conflict', { detail: c }))
    return { writes, exact }
  }
}
