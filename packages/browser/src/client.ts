// The main-thread client: `openDB(name)` starts the worker that owns the files (or shares another
// tab's) and returns a database with the same API as the engine. Every call made in one tick
// travels in one message and writes among them share one WAL flush; each settles on its own.
// Values are posted (structured clone) and encoded by the engine in the worker: encoding them here
// instead costs the main thread 2 to 10 times more (docs/benchmarks.md, "the client's main-thread
// cost"). A call whose arguments cannot be cloned fails alone, with the error the engine's own
// key and value codec gives it (run here only then): DataCloneError naming the path, TypeError
// naming the key. The client carries no engine: it imports errors, the codecs and the op and
// transaction helpers from side-effect-free modules of @cowdb/core.

import type { BranchInfo, Change, ChangeListener, Commit, DatabaseApi, DiffOptions, GcStats, Key, ListOptions, Op, OpenOptions, PageInfo, Progress, Range, ReadOptions, Retention, ScanOptions, SnapshotId, SnapshotInfo, Stats, TenantInfo, TenantOptions, Transaction, Value, VerifyReport, WriteOptions } from '@cowdb/core'
import { BranchView } from '@cowdb/core/branch-view'
import { TenantView } from '@cowdb/core/tenant-view'
import { ClosedError } from '@cowdb/core/errors'
import { DatabaseCatalogEvent, DatabaseCloseEvent, DatabaseErrorEvent } from '@cowdb/core/events'
import { encodeKey, encodeRange } from '@cowdb/core/keys'
import { encodeOps, encodeRangeOp, type EncodedOp } from '@cowdb/core/ops'
import { iterateChunks, runTransaction, type TxHost } from '@cowdb/core/tx-runner'
import { encodeValue } from '@cowdb/core/values'
import { Connection, transfer } from './connection.js'
import { UnsupportedError, WorkerError } from './errors.js'
import type { EngineOptions, QuotaInfo, StorageInfo } from './engine.js'
import type { FastReader } from './fast-read.js'
import { PendingWrites } from './pending-writes.js'
import { requestPersistence } from './persist.js'
import { TRANSFER_MIN_BYTES, fromWire, type Args, type Method, type Push, type Returns, type WarmRead } from './protocol.js'

/** The default size of the shared page cache of a cross-origin isolated page. */
const SHARED_CACHE_BYTES = 32 * 1024 * 1024

export type BrowserOpenOptions = OpenOptions &
  Omit<EngineOptions, keyof OpenOptions> & {
  /**
   * Ask the browser to keep this origin's storage through eviction (navigator.storage.persist()).
   * The answer is not waited for (it may be a prompt); `persistence` holds it, stats().storage.persisted the state.
   */
  persist?: boolean
  /**
   * Share the database with other tabs (default true): the first opener owns the files, later
   * ones forward their calls to it and take over when it goes. Their own open options are
   * ignored then (the owner's apply). With false, a second opener waits `lockTimeout`, then
   * LockedError.
   */
  share?: boolean
  /** With `share: false`: how long to wait for another tab or worker to close it. Default 5000 ms. */
  lockTimeout?: number
  /**
   * The worker, for bundlers that do not emit `worker.js` next to the client module: a Worker
   * running @cowdb/browser's worker (e.g. Vite's `import W from '@cowdb/browser/worker?worker'`,
   * then `new W()`), or the URL of that script (started as a module worker).
   */
  worker?: Worker | URL | string
  /** How long to wait for the worker script to load and answer before WorkerError. Default 10000 ms. */
  workerTimeout?: number
  /**
   * Bytes of the page cache the worker shares with this page, from which get, getMany, scan and
   * count are answered on the main thread with no message (docs/shared-reads.md). Only on a
   * cross-origin isolated page (COOP and COEP headers) and a database on OPFS; in a follower tab
   * the cache holds a copy of the owner's pages. Default 32 MiB; 0 turns it off.
   */
  sharedCacheBytes?: number
}

/**
 * Opens database `name` in a dedicated worker. If another tab (or an earlier openDB in this page)
 * has it open, this one shares it: calls go to that owner, and this one takes over when the owner
 * closes. Never hangs: a worker that fails to load or answer rejects with WorkerError, a browser
 * without Web Locks, IndexedDB or BroadcastChannel with UnsupportedError; without OPFS sync
 * access handles the pages go to IndexedDB (docs/storage.md).
 * Cost: loading the worker, then the open (recovery replays the WAL) or joining the owner.
 */
export function openDB(name: string, opts: BrowserOpenOptions = {}): Promise<BrowserDatabase> {
  return BrowserDatabase.open(name, opts)
}

/**
 * The database in the browser: the engine's API, run in the worker that owns the files. Every
 * method returns a promise that settles in one worker round trip, shared by every call made in
 * the same tick; on a cross-origin isolated page, reads are answered from the page cache the
 * worker shares, with no round trip, when they can be. An EventTarget, as the engine is: `error` (DatabaseErrorEvent: a background
 * failure; `event.error` is the typed error) and `close` (DatabaseCloseEvent: closed by this code,
 * or for good after a fatal error, then `event.reason`).
 */
export class BrowserDatabase extends EventTarget implements DatabaseApi {
  /** The answer to `persist: true` (navigator.storage.persist()); null when not asked or not answerable. */
  persistence: Promise<boolean | null> = Promise.resolve(null)
  private closed: Error | undefined
  private closing: Promise<void> | undefined
  private ended = false
  private readonly listeners = new Map<number, ChangeListener>()
  private nextListener = 1
  private readonly onPageHide = () => this.terminate()
  /** Pinned reads and commits for iterate() and transaction(), each one call to the worker. */
  private readonly host: TxHost
  /** Reads from the worker's shared page cache (fast-read.ts, loaded once it shares one). */
  private fast: FastReader | undefined
  /** While fast-read.ts loads. */
  private fastLoading: Promise<void> | undefined
  /** This tab's writes that shared reads must not overtake, and the newest state they produced. */
  private readonly pending = new PendingWrites()
  /** Reads that missed a page of the shared cache this tick: the worker publishes what they walk. */
  private warmQueue: WarmRead[] = []

  private constructor(
    readonly name: string,
    private readonly conn: Connection,
  ) {
    super()
    this.host = {
      openReader: (o) => this.call('openReader', [o]),
      closeReader: (r) => void this.call('closeReader', [r]).catch(() => {}),
      scan: (r) => this.call('scan', [r]),
      get: (k, o) => this.call('get', [k, o]),
      commitPlan: (plan, o) => this.call('commitPlan', [transfer(plan, owned(plan.ops)), o]),
    }
    globalThis.addEventListener?.('pagehide', this.onPageHide)
  }

  /** See openDB(). Cost: starts or reaches the worker that owns the files, then recovery there (O(WAL since the last checkpoint)). */
  static async open(name: string, opts: BrowserOpenOptions = {}): Promise<BrowserDatabase> {
    if (typeof name !== 'string' || !name || /[/\\]/.test(name)) throw new TypeError(`cowdb: a database name is a non-empty string without slashes, got ${JSON.stringify(name)}`)
    if (opts === null || typeof opts !== 'object') throw new TypeError('cowdb: openDB options must be an object')
    const { lockTimeout = 5000, share = true, worker: given, workerTimeout = 10_000, sharedCacheBytes = SHARED_CACHE_BYTES, persist, ...options } = opts
    if (typeof sharedCacheBytes !== 'number' || !(sharedCacheBytes >= 0)) throw new TypeError(`cowdb: sharedCacheBytes must be a number >= 0, got ${String(sharedCacheBytes)}`)
    if (typeof Worker === 'undefined') throw new UnsupportedError('cowdb: this environment has no Web Workers (in Node, use @cowdb/node)', ['Worker'])
    let db: BrowserDatabase | undefined
    const conn = await reachWorker(given, share, workerTimeout, { push: (p) => db?.push(p), lost: (e) => db?.lost(e) })
    db = new BrowserDatabase(name, conn)
    if (persist) db.persistence = requestPersistence()
    try {
      await conn.open({ name, options, lockTimeout, share, sharedCacheBytes: globalThis.crossOriginIsolated === true ? sharedCacheBytes : 0 })
      await db.fastLoading // the shared reads come on with the database (this tab owns it)
      return db
    } catch (e) {
      db.terminate()
      throw e
    }
  }

  // ---- reads: each one worker round trip, shared by every call made in the same tick ----------

  /**
   * The value of `key` at head (or at `opts.snapshot`, on `opts.branch`). Cost: one worker round
   * trip, or none when the shared page cache answers it (O(log n) in place).
   */
  get(key: Key, opts?: ReadOptions): Promise<Value | undefined> {
    return (!this.closed && this.fast?.get(key, opts)) || this.call('get', [key, opts], () => encodeKey(key))
  }
  /** Values of several keys from one consistent state. Cost: one worker round trip, or none (as get()). */
  getMany(keys: Key[], opts?: ReadOptions): Promise<(Value | undefined)[]> {
    return (!this.closed && this.fast?.getMany(keys, opts)) || this.call('getMany', [keys, opts], () => keys.forEach((k) => encodeKey(k)))
  }
  /** Entries in `range`, in key order (or reverse), at most `limit` (default 1000). Cost: one worker round trip, or none (as get()). */
  scan(range: Range & ScanOptions = {}): Promise<[Key, Value][]> {
    return (!this.closed && this.fast?.scan(range)) || this.call('scan', [range], () => encodeRange(range))
  }
  /** Number of keys in `range`. Cost: one worker round trip, or none (as get()). */
  count(range?: Range, opts?: ReadOptions): Promise<number> {
    return (!this.closed && this.fast?.count(range, opts)) || this.call('count', [range, opts], () => encodeRange(range))
  }

  /**
   * How reads were answered: `shared` whether this tab reads from the worker's shared page cache
   * now, `hits` the reads answered there, `misses` those that went to the worker. Cost: O(1).
   */
  sharedReads(): { shared: boolean; hits: number; misses: number } {
    return { shared: this.fast !== undefined, hits: this.fast?.hits ?? 0, misses: this.fast?.misses ?? 0 }
  }
  /**
   * Streams the entries in `range`, all from the state when iteration began (pinned in the
   * worker until the loop ends). Cost: one worker round trip per 256 entries.
   */
  iterate(range: Range & ScanOptions = {}): AsyncGenerator<[Key, Value]> {
    if (this.closed) return rejectAll(this.closed)
    return iterateChunks(this.host, range)
  }

  // ---- writes: each resolves once durable ------------------------------------------------------

  /**
   * Sets `key` to `value`; resolves when durable. The value is copied when this tick's message is
   * sent (structured clone), so a change to it later in the same tick is stored too.
   * Cost: one worker round trip and one WAL flush, both shared by the tick.
   */
  put(key: Key, value: Value, opts?: WriteOptions): Promise<Commit> {
    return this.call('put', [key, value, opts], () => (encodeKey(key), encodeValue(value)))
  }
  /** Deletes `key` (a no-op commit if absent). Cost: as put(). */
  delete(key: Key, opts?: WriteOptions): Promise<Commit> {
    return this.call('delete', [key, opts], () => encodeKey(key))
  }
  /** Applies all `ops` atomically: all or nothing. Cost: as put(); the ops are copied at the send. */
  batch(ops: Op[], opts?: WriteOptions): Promise<Commit> {
    return this.call('batch', [ops, opts], () => encodeOps(ops))
  }
  /** Deletes every key in `range`, dropping whole subtrees. Cost: as put(). */
  deleteRange(range: Range, opts?: WriteOptions): Promise<Commit> {
    return this.call('deleteRange', [range, opts], () => encodeRangeOp(range))
  }
  /**
   * An optimistic transaction: reads go to the worker at the state it began on, writes are
   * buffered (and encoded) here, and commit atomically; on a conflict `fn` runs again (up to
   * `retries`, default 3), then ConflictError. Cost: one round trip per read, one for the commit.
   */
  transaction<T>(fn: (tx: Transaction) => Promise<T>, opts?: { retries?: number } & WriteOptions): Promise<T> {
    if (this.closed) return Promise.reject(this.closed)
    return runTransaction(this.host, fn, opts)
  }

  // ---- snapshots, history, branches ------------------------------------------------------------

  /** Records the head's root as a snapshot, in O(1). Cost: one worker round trip and one small flush. */
  snapshot(opts?: { label?: string } & WriteOptions): Promise<SnapshotInfo> {
    return this.call('snapshot', [opts])
  }
  /** Every snapshot, oldest first (a tenant's only with `{ branch }` naming it; cowdb's own, named `cowdb-...`, only with `{ internal: true }`). Cost: one worker round trip. */
  snapshots(opts?: WriteOptions & ListOptions): Promise<SnapshotInfo[]> {
    return this.call('snapshots', [opts])
  }
  /** Drops a snapshot; its pages are freed by a later gc. Cost: one worker round trip. */
  dropSnapshot(id: SnapshotId, opts?: WriteOptions): Promise<void> {
    return this.call('dropSnapshot', [id, opts])
  }
  /** Moves the head to snapshot `id`, as a new commit. Cost: one worker round trip, O(1) in the worker. */
  restore(id: SnapshotId, opts?: WriteOptions): Promise<Commit> {
    return this.call('restore', [id, opts])
  }
  /** Keys that differ between two snapshots (or a snapshot and the head); with `limit`, the first that many. Cost: one round trip; the walk grows with the change. */
  diff(from: SnapshotId, to?: SnapshotId, opts?: DiffOptions): Promise<Change[]> {
    return this.call('diff', [from, to, opts])
  }
  /** Back one commit in history (null: nothing to undo); history is on with retention keepLast/keepFor. Cost: one round trip. */
  undo(opts?: WriteOptions): Promise<Commit | null> {
    return this.call('undo', [opts])
  }
  /** Forward one commit in history (null: nothing to redo). Cost: one round trip. */
  redo(opts?: WriteOptions): Promise<Commit | null> {
    return this.call('redo', [opts])
  }
  /** Changes which history snapshots are kept: the database's, or with `{ branch }` that head's own (saved with the store). Cost: one round trip. */
  setRetention(retention: Retention, opts?: WriteOptions): Promise<void> {
    return this.call('setRetention', [retention, opts])
  }
  /** The retention in force. Cost: one round trip. */
  getRetention(opts?: WriteOptions): Promise<Required<Retention>> {
    return this.call('getRetention', [opts])
  }
  /** A new head at main's head or at snapshot `from`, in O(1). Cost: one round trip. */
  branch(name: string, opts?: { from?: SnapshotId }): Promise<BranchInfo> {
    return this.call('branch', [name, opts])
  }
  /** Every head (main first) with its history (cowdb's own, named `cowdb-...`, only with `{ internal: true }`). Cost: one round trip. */
  branches(opts?: ListOptions): Promise<BranchInfo[]> {
    return this.call('branches', [opts])
  }
  /** Drops a branch; its pages are freed by a later gc. Cost: one round trip. */
  dropBranch(name: string): Promise<void> {
    return this.call('dropBranch', [name])
  }
  /** The same API on one branch (`{ branch: name }` filled in). Cost: none (no call). */
  onBranch(name: string): BranchView {
    return new BranchView(this, name)
  }

  // ---- tenants: isolated heads, each with its own snapshot stream and retention (docs/tenants.md)

  /** A new tenant: empty, or an O(1) clone of another tenant's head or snapshot (`from`). Cost: one round trip. */
  createTenant(name: string, opts?: TenantOptions): Promise<TenantInfo> {
    return this.call('createTenant', [name, opts])
  }
  /** Drops a tenant and every snapshot of it; pages only it reached are freed in the background. Cost: one round trip. */
  dropTenant(name: string): Promise<void> {
    return this.call('dropTenant', [name])
  }
  /** Every tenant by name; with `{ space: true }`, the bytes only each one holds (a walk of every live page). Cost: one round trip. */
  tenants(opts?: { space?: boolean }): Promise<TenantInfo[]> {
    return this.call('tenants', [opts])
  }
  /** A handle on one tenant: the API scoped to it, its own snapshots, retention, backups, clone and drop. Cost: none (no call). */
  tenant(name: string): TenantView {
    return new TenantView(this, name)
  }

  // ---- change events ---------------------------------------------------------------------------

  /**
   * Calls `listener` with each durable commit's changes to keys in `range` (of `range.branch`,
   * default main), in commit order, from the next commit on. Resolves, once the worker listens,
   * to the function that ends it. Survives a change of owner (made again on the new one).
   * Cost: one round trip; then one message per commit that touches the range.
   */
  async subscribe(range: Range & WriteOptions, listener: ChangeListener): Promise<() => void> {
    if (typeof listener !== 'function') throw new TypeError('cowdb: subscribe() takes a range and a listener function')
    const id = this.nextListener++
    this.listeners.set(id, listener)
    try {
      await this.call('subscribe', [id, range])
    } catch (e) {
      this.listeners.delete(id)
      throw e
    }
    return () => {
      if (this.listeners.delete(id) && !this.closed) void this.call('unsubscribe', [id]).catch(() => {})
    }
  }

  // ---- maintenance -----------------------------------------------------------------------------

  /** Writes what only memory holds and switches the root. Cost: one round trip; pages written since the last one. */
  checkpoint(): Promise<void> {
    return this.call('checkpoint', [])
  }
  /** Frees every page no root reaches. Cost: one round trip; O(live pages) in the worker, in steps. */
  gc(): Promise<GcStats> {
    return this.call('gc', [])
  }
  /** Gives free space inside the pages file back (gc() only cuts a free tail). Cost: one round trip; copies live pages above the cut. */
  compact(): Promise<{ bytesBefore: number; bytesAfter: number; pagesCopied: number }> {
    return this.call('compact', [])
  }
  /** The pages a head or snapshot reaches, level by level (at most `maxPages`, default 300). Cost: one round trip. */
  inspect(opts?: ReadOptions & { maxPages?: number }): Promise<PageInfo | null> {
    return this.call('inspect', [opts])
  }
  /** Where the pages file's slots are (reachable, free, pending, leaked). Cost: one round trip; O(live pages). */
  space(): Promise<{ slots: number; reachable: number; free: number; pending: number; leaked: number; reachableButFree: number }> {
    return this.call('space', [])
  }
  /** Counters and sizes. Cost: one round trip. */
  stats(): Promise<Stats & { storage: StorageInfo }> {
    return this.call('stats', []) as Promise<Stats & { storage: StorageInfo }>
  }
  /** Metrics in Prometheus text format. Cost: one round trip. */
  metrics(): Promise<string> {
    return this.call('metrics', [])
  }
  /** Checks every reachable page; `onProgress` hears from the worker as it goes. Cost: one round trip; reads every live page. */
  verify(opts: { onProgress?: (p: Progress) => void } = {}): Promise<VerifyReport> {
    return this.call('verify', [opts])
  }
  /** 'leader' if this tab's worker owns the files now, 'follower' if its calls go to another tab's. Cost: one round trip. */
  role(): Promise<'leader' | 'follower'> {
    return this.call('role', [])
  }

  // ---- backups ---------------------------------------------------------------------------------

  /**
   * A backup of a snapshot (default: a new one of the head), or with `since` only the changes
   * from an older snapshot: bytes to keep anywhere, import with importBackup() or read with
   * `dbctl --db FILE`. The bytes are transferred from the worker, not copied. `onProgress`
   * reports entries written. Cost: one round trip; O(entries), or O(changed pages) with `since`.
   */
  exportBackup(opts: { snapshot?: SnapshotId; since?: SnapshotId; keepSnapshot?: boolean; onProgress?: (p: Progress) => void } & WriteOptions = {}): Promise<Uint8Array> {
    return this.call('exportBackup', [opts])
  }
  /**
   * Loads a backup as one atomic commit (full: replaces the head; incremental: needs its base
   * imported here first). `bytes` are copied to the worker, never taken: they stay usable.
   * Cost: one round trip and one copy of the bytes; O(entries) in the worker.
   */
  importBackup(bytes: Uint8Array, opts: { onProgress?: (p: Progress) => void; tenant?: boolean } & WriteOptions = {}): Promise<SnapshotInfo> {
    return this.call('importBackup', [bytes, opts])
  }

  // ---- lifetime --------------------------------------------------------------------------------

  /**
   * Lets the calls already made finish, then checkpoints, closes the files and ends the worker;
   * another tab sharing the database takes over. Later calls reject with ClosedError. Rejects
   * with the checkpoint's error (e.g. QuotaExceededError), closed all the same. Cost: a checkpoint.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.resolve() // calls made in this tick before close() still go
      this.closed ??= new ClosedError('cowdb: the database is closed')
      try {
        await this.conn.idle()
        await this.conn.close()
      } finally {
        this.end()
      }
    })()
    return this.closing
  }

  /** Ends the worker at once, as a crash or a closed tab would (for tests). Cost: O(calls waiting). */
  terminate(): void {
    this.closed ??= new ClosedError('cowdb: the database is closed')
    this.end()
  }

  /** Ends the worker and tells the `close` listeners, once (`reason`: the fatal error, if one closed it). */
  private end(reason?: Error): void {
    if (this.ended) return
    this.ended = true
    globalThis.removeEventListener?.('pagehide', this.onPageHide)
    this.conn.terminate()
    this.listeners.clear()
    this.dispatchEvent(new DatabaseCloseEvent(reason))
  }

  /**
   * A call to the worker, typed from WorkerApi; `explain` says why its arguments could not be
   * cloned. A write is held as pending until it settles (shared reads must not overtake it).
   */
  private call<M extends Method>(method: M, args: Args<M>, explain?: () => void): Promise<Returns<M>> {
    if (this.closed) return Promise.reject(this.closed)
    const settled = this.pending.begin(method, args)
    const answer = this.conn.call(method, args, explain)
    if (!settled) return answer
    return answer.then(
      (r) => (settled(r), r),
      (e: unknown) => {
        settled()
        throw e
      },
    )
  }

  /** The worker shares its page cache: load fast-read.ts, then reads come from it when they can. */
  private shared(buffer: SharedArrayBuffer): void {
    this.pending.keyed = true // writes sent from now on hold back their keys only (earlier ones, every read)
    this.fastLoading = import('./fast-read.js').then(
      ({ FastReader }) => {
        if (!this.closed) this.fast = new FastReader(buffer, this.pending, (r) => this.missed(r))
      },
      (e: unknown) => console.warn('cowdb: could not load fast-read.js; every read goes to the worker', e),
    )
  }

  /** A shared read missed a page: ask the worker to publish what it walks (one call per tick). */
  private missed(read: WarmRead): void {
    if (this.warmQueue.push(read) > 1) return
    queueMicrotask(() => {
      const reads = this.warmQueue
      this.warmQueue = []
      if (!this.closed) void this.conn.call('warm', [reads]).catch(() => {})
    })
  }

  private push(p: Push): void {
    if (p.kind === 'event') {
      try {
        this.listeners.get(p.subscription)?.(p.event)
      } catch (e) {
        console.error('cowdb: a subscribe() listener threw', e)
      }
    } else if (p.kind === 'error') {
      this.dispatchEvent(new DatabaseErrorEvent(fromWire(p.error)))
    } else if (p.kind === 'catalog') {
      this.dispatchEvent(new DatabaseCatalogEvent(p.change))
    } else if (p.kind === 'shared') {
      this.shared(p.buffer)
    } else if (p.kind === 'quota') {
      this.dispatchEvent(new CustomEvent<QuotaInfo>('quota', { detail: p.info }))
    }
  }

  /** The worker can no longer serve: closed for good, with `error` as every later call's answer. */
  private lost(error: Error): void {
    this.closed = error
    this.dispatchEvent(new DatabaseErrorEvent(error))
    this.end(error)
  }
}

/**
 * The script URL of the default worker, learnt from the first one that answered in this tab (kept
 * in sessionStorage, which lasts across reloads of the tab); the same for marked workers (below). WebKitGTK 2.50 fails to load a
 * module worker from a URL it loaded before in the tab, reloads included (an error event, no
 * details); a worker from a blob module that imports that URL loads there. Under a CSP without
 * `worker-src blob:` that fails too, and the first error stands.
 */
const WORKER_URL_KEY = 'cowdb:worker-url'
/**
 * A Worker an app or package passes with this property set to a name is one of cowdb's own
 * (e.g. @cowdb/sync's syncWorker()), which openDB may start again from the URL it learnt under
 * that name, as it does its default worker.
 */
const WORKER_KIND = Symbol.for('cowdb.worker')
/** The learnt worker URLs of this page, by kind ('default': the worker beside this module). */
const workerUrls = new Map<string, string>()
const session = (): Storage | undefined => {
  try {
    return globalThis.sessionStorage
  } catch {
    return undefined // a sandboxed frame, or storage blocked
  }
}
/** Which of cowdb's workers `given` starts, if one: the default, or a marked Worker. */
const kindOf = (given: BrowserOpenOptions['worker']): string | undefined =>
  given === undefined ? 'default' : given instanceof Worker ? ((given as unknown as Record<symbol, unknown>)[WORKER_KIND] as string | undefined) : undefined
const keyOf = (kind: string) => (kind === 'default' ? WORKER_URL_KEY : `${WORKER_URL_KEY}:${kind}`)

/** Starts the worker and waits for its hello (see startWorker); for one of cowdb's own, once more through a blob module if it fails to load. */
async function reachWorker(given: BrowserOpenOptions['worker'], share: boolean, timeoutMs: number, on: ConstructorParameters<typeof Connection>[2]): Promise<Connection> {
  const attempt = async ({ worker, url }: { worker: Worker; url?: string }) => {
    const conn = new Connection(worker, url, on)
    try {
      return { conn, url: await conn.hello(share, timeoutMs) }
    } catch (e) {
      worker.terminate()
      throw e
    }
  }
  const kind = kindOf(given)
  try {
    const { conn, url } = await attempt(startWorker(given))
    if (kind && url && url !== workerUrls.get(kind)) {
      workerUrls.set(kind, url)
      try {
        session()?.setItem(keyOf(kind), url)
      } catch {
        // storage full or blocked: this page still knows it
      }
    }
    return conn
  } catch (e) {
    const known = kind && (workerUrls.get(kind) ?? session()?.getItem(keyOf(kind)) ?? undefined)
    if (!(e instanceof WorkerError) || !known || typeof Blob === 'undefined') throw e
    // a dynamic import (a static one fails there as the second worker did); messages that arrive
    // before it is done are held and handed to the worker's handler; a failure thrown from a timer
    // reaches the Worker as an error event, so openDB does not wait out the timeout
    const source = `const held = [], hold = (e) => held.push(e); self.addEventListener('message', hold)
import(${JSON.stringify(known)}).then(() => { self.removeEventListener('message', hold); for (const e of held) self.onmessage?.(e) }, (e) => setTimeout(() => { throw e }))`
    const blob = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }))
    try {
      return (await attempt({ worker: new Worker(blob, { type: 'module' }), url: `${known} (imported by a blob module)` })).conn
    } catch {
      throw e // the first failure says more
    } finally {
      URL.revokeObjectURL(blob)
    }
  }
}

/** Starts the worker: the given one, one from a URL, or `worker.js` beside this module (the form bundlers follow). */
function startWorker(given: BrowserOpenOptions['worker']): { worker: Worker; url?: string } {
  if (given instanceof Worker) return { worker: given }
  if (given !== undefined) return { worker: new Worker(given, { type: 'module' }), url: String(given) }
  // one `new URL(...)` only: a bundler emits a file for each one it sees
  return { worker: new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }), url: "@cowdb/browser's worker.js (next to its client module)" }
}

/** The buffers of a transaction's values (encoded here by tx.put) worth transferring: made here, whole, from 16 KiB. */
function owned(ops: EncodedOp[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = []
  for (const op of ops) {
    if (op.type !== 'put') continue
    const b = op.value.buffer
    if (b instanceof ArrayBuffer && op.value.byteLength >= TRANSFER_MIN_BYTES && op.value.byteOffset === 0 && op.value.byteLength === b.byteLength) out.push(b)
  }
  return out
}

async function* rejectAll(e: Error): AsyncGenerator<[Key, Value]> {
  throw e
}
