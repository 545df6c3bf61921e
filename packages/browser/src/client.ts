// The main-thread client: `openDB(name)` starts the worker that owns the files and returns a
// Database-shaped object. Calls made in the same tick travel in one message (and writes among
// them share one WAL flush in the engine); each promise settles on its own.

import * as Comlink from 'comlink'
import {
  BranchView,
  BufferedTransactionClient,
  type BranchInfo,
  type Retention,
  type WriteOptions,
  ConflictError,
  type Change,
  type ChangeEvent,
  type ChangeListener,
  type Commit,
  type GcStats,
  type Key,
  type Op,
  type PageInfo,
  type Progress,
  type OpenOptions,
  type Range,
  type ReadOptions,
  type ScanOptions,
  type SnapshotId,
  type SnapshotInfo,
  type Stats,
  type Transaction,
  type Value,
  type VerifyReport,
} from '@cowdb/core'
import type { EngineOptions, QuotaInfo, StorageInfo } from './engine.js'
import { requestPersistence } from './persist.js'
import { startWorker, workerStarted } from './worker-start.js'
import { fromWire, type BatchRequest, type BatchResponse, type Call, type EventMessage, type Method, type OpenRequest, type Result, type WorkerApi } from './protocol.js'

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
  /** Supplies the worker (for bundlers that need their own worker URL). */
  worker?: () => Worker
}

const CHUNK = 256
type BatchEntry = { call: Call; resolve: (v: unknown) => void; reject: (e: unknown) => void }

/**
 * Opens database `name` in a dedicated worker. If another tab (or an earlier openDB) has it open,
 * this one shares it: calls go to that owner, and this one takes over when the owner closes.
 */
export async function openDB(name: string, opts: BrowserOpenOptions = {}): Promise<BrowserDatabase> {
  if (typeof name !== 'string' || !name || /[/\\]/.test(name)) throw new TypeError(`cowdb: a database name is a non-empty string without slashes, got ${JSON.stringify(name)}`)
  const { lockTimeout = 5000, share = true, worker: makeWorker, persist, ...options } = opts
  const persistence = persist ? requestPersistence() : Promise.resolve(null)
  const worker = makeWorker ? makeWorker() : defaultWorker()
  const started = workerStarted(worker)
  const remote = Comlink.wrap<WorkerApi & { openResult(r: OpenRequest): Promise<Result> }>(worker)
  let r: Result
  try {
    r = await Promise.race([remote.openResult({ name, options, lockTimeout, share }), started.then(() => new Promise<never>(() => {}))])
  } catch (e) {
    worker.terminate()
    throw e
  }
  if (!r.ok) {
    worker.terminate()
    throw fromWire(r.error)
  }
  const db = new BrowserDatabase(name, worker, remote)
  db.persistence = persistence
  return db
}

function defaultWorker(): Worker {
  // Served from sources (Vite dev) the module is .ts; built, it is .js.
  const url = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url)
  return startWorker(url)
}

export class BrowserDatabase extends EventTarget {
  /** The answer to `persist: true` (navigator.storage.persist()); null when not asked or not answerable. */
  persistence: Promise<boolean | null> = Promise.resolve(null)
  private queue: { call: Call; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = []
  private scheduled = false
  private readonly port: MessagePort
  private readonly inFlight = new Map<number, BatchEntry[]>()
  private nextBatch = 1
  private idleWaiters: (() => void)[] = []
  private closed = false
  private readonly listeners = new Map<number, ChangeListener>()
  private readonly progress = new Map<number, (p: Progress) => void>()
  private nextListenerId = 1
  private readonly onPageHide = () => this.worker.terminate()

  constructor(
    readonly name: string,
    private readonly worker: Worker,
    private readonly remote: Comlink.Remote<WorkerApi>,
  ) {
    super()
    globalThis.addEventListener?.('pagehide', this.onPageHide)
    const channel = new MessageChannel()
    this.port = channel.port1
    this.port.onmessage = (e: MessageEvent<BatchResponse | EventMessage>) => {
      if (e.data[0] === 'event') return this.deliver(e.data[1], e.data[2])
      if (e.data[0] === 'progress') return this.progress.get(e.data[1])?.(e.data[2])
      if (e.data[0] === 'quota') return void this.dispatchEvent(new CustomEvent<QuotaInfo>('quota', { detail: e.data[1] }))
      const [id, results] = e.data
      const batch = this.inFlight.get(id)!
      this.inFlight.delete(id)
      results.forEach((r, i) => (r.ok ? batch[i]!.resolve(r.value) : batch[i]!.reject(fromWire(r.error))))
      if (this.inFlight.size === 0) for (const w of this.idleWaiters.splice(0)) w()
    }
    void remote.connect(Comlink.transfer(channel.port2, [channel.port2]))
  }

  private send<T>(method: Method, args: unknown[]): Promise<T> {
    if (this.closed) return Promise.reject(fromWire({ name: 'ClosedError', message: 'cowdb: the database is closed' }))
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ call: { method, args }, resolve: resolve as (v: unknown) => void, reject })
      if (!this.scheduled) {
        this.scheduled = true
        queueMicrotask(() => this.flush())
      }
    })
  }

  private flush(): void {
    this.scheduled = false
    const batch = this.queue
    this.queue = []
    const id = this.nextBatch++
    this.inFlight.set(id, batch)
    try {
      this.port.postMessage([id, batch.map((b) => b.call)] satisfies BatchRequest)
    } catch (e) {
      // e.g. a value that cannot be cloned: fail this batch, not the database
      this.inFlight.delete(id)
      for (const b of batch) b.reject(e)
    }
  }

  get(key: Key, opts?: ReadOptions): Promise<Value | undefined> {
    return this.send('get', [key, opts])
  }
  getMany(keys: Key[], opts?: ReadOptions): Promise<(Value | undefined)[]> {
    return this.send('getMany', [keys, opts])
  }
  put(key: Key, value: Value, opts?: WriteOptions): Promise<Commit> {
    return this.send('put', [key, value, opts])
  }
  delete(key: Key, opts?: WriteOptions): Promise<Commit> {
    return this.send('delete', [key, opts])
  }
  batch(ops: Op[], opts?: WriteOptions): Promise<Commit> {
    return this.send('batch', [ops, opts])
  }
  deleteRange(range: Range, opts?: WriteOptions): Promise<Commit> {
    return this.send('deleteRange', [range, opts])
  }
  scan(range: Range & ScanOptions = {}): Promise<[Key, Value][]> {
    return this.send('scan', [range])
  }
  count(range?: Range, opts?: ReadOptions): Promise<number> {
    return this.send('count', [range, opts])
  }

  /** Streams entries in chunks, all from the state when iteration began. */
  async *iterate(range: Range & ScanOptions = {}): AsyncGenerator<[Key, Value]> {
    const { reader } = await this.send<{ reader: number }>('openReader', [{ branch: range.branch }])
    try {
      let left = range.limit ?? Infinity
      let r: Range & ScanOptions = { ...range }
      while (left > 0) {
        const chunk = await this.send<[Key, Value][]>('scan', [{ ...r, limit: Math.min(CHUNK, left), reader }])
        yield* chunk
        left -= chunk.length
        if (chunk.length < Math.min(CHUNK, left + chunk.length)) break
        const last = chunk[chunk.length - 1]![0]
        r = range.reverse ? { ...r, lt: last, lte: undefined } : { ...r, gt: last, gte: undefined }
      }
    } finally {
      void this.send('closeReader', [reader]).catch(() => {})
    }
  }

  snapshot(opts?: { label?: string } & WriteOptions): Promise<SnapshotInfo> {
    return this.send('snapshot', [opts])
  }
  snapshots(): Promise<SnapshotInfo[]> {
    return this.send('snapshots', [])
  }
  dropSnapshot(id: SnapshotId): Promise<void> {
    return this.send('dropSnapshot', [id])
  }
  restore(id: SnapshotId, opts?: WriteOptions): Promise<Commit> {
    return this.send('restore', [id, opts])
  }
  diff(from: SnapshotId, to?: SnapshotId, opts?: WriteOptions): Promise<Change[]> {
    return this.send('diff', [from, to, opts])
  }

  /** Back one commit in history (null: nothing to undo). History is on with retention keepLast/keepFor. */
  undo(opts?: WriteOptions): Promise<Commit | null> {
    return this.send('undo', [opts])
  }
  redo(opts?: WriteOptions): Promise<Commit | null> {
    return this.send('redo', [opts])
  }
  setRetention(retention: Retention): Promise<void> {
    return this.send('setRetention', [retention])
  }
  getRetention(): Promise<Required<Retention>> {
    return this.send('getRetention', [])
  }

  /** A new head at main's head or at snapshot `from`, in O(1). */
  branch(name: string, opts?: { from?: SnapshotId }): Promise<BranchInfo> {
    return this.send('branch', [name, opts])
  }
  branches(): Promise<BranchInfo[]> {
    return this.send('branches', [])
  }
  dropBranch(name: string): Promise<void> {
    return this.send('dropBranch', [name])
  }
  /** The API on one branch (`{ branch: name }` filled in). */
  onBranch(name: string): BranchView {
    return new BranchView(this, name)
  }
  /** 'leader' if this tab's worker owns the files now, 'follower' if its calls go to another tab's. */
  role(): Promise<'leader' | 'follower'> {
    return this.send('role', [])
  }
  /** Where the pages file's slots are (reachable, free, pending, leaked). */
  space(): Promise<{ slots: number; reachable: number; free: number; pending: number; leaked: number; reachableButFree: number }> {
    return this.send('space', [])
  }

  /**
   * Calls `listener` with each durable commit's changes to keys in `range` (of `range.branch`,
   * default main), in commit order, from the next commit on; see the engine's subscribe(). The
   * worker pushes events on the call port. Resolves, once the worker listens, to the function
   * that ends the subscription.
   */
  async subscribe(range: Range & WriteOptions, listener: ChangeListener): Promise<() => void> {
    if (typeof listener !== 'function') throw new TypeError('cowdb: subscribe() takes a range and a listener function')
    const id = this.nextListenerId++
    this.listeners.set(id, listener)
    try {
      await this.send('subscribe', [id, range])
    } catch (e) {
      this.listeners.delete(id)
      throw e
    }
    return () => {
      if (this.listeners.delete(id)) void this.send('unsubscribe', [id]).catch(() => {})
    }
  }

  private deliver(id: number, event: ChangeEvent): void {
    try {
      this.listeners.get(id)?.(event)
    } catch (e) {
      console.error('cowdb: a subscribe() listener threw', e)
    }
  }

  /** An optimistic transaction: reads go to the worker at the starting state, writes are buffered here. */
  async transaction<T>(fn: (tx: Transaction) => Promise<T>, opts: { retries?: number } & WriteOptions = {}): Promise<T> {
    const retries = opts.retries ?? 3
    const at = { branch: opts.branch }
    for (let attempt = 0; ; attempt++) {
      const { reader, generation } = await this.send<{ reader: number; generation: number }>('openReader', [at])
      let result: T
      let tx: BufferedTransactionClient
      try {
        tx = new BufferedTransactionClient(
          {
            get: (key) => this.send('get', [key, { reader }]),
            scan: (r) => this.send('scan', [{ ...r, reader }]),
          },
          generation,
        )
        result = await fn(tx)
      } finally {
        void this.send('closeReader', [reader]).catch(() => {})
      }
      const plan = tx.finish()
      try {
        if (plan.ops.length) await this.send('commitPlan', [plan, at])
        return result
      } catch (e) {
        if (!(e instanceof ConflictError) || attempt >= retries) throw e
      }
    }
  }

  checkpoint(): Promise<void> {
    return this.send('checkpoint', [])
  }
  gc(): Promise<GcStats> {
    return this.send('gc', [])
  }
  /** The pages a head or snapshot reaches, level by level (at most `maxPages`, default 300). */
  inspect(opts?: ReadOptions & { maxPages?: number }): Promise<PageInfo | null> {
    return this.send('inspect', [opts])
  }
  /** Gives free space inside the pages file back (gc() only cuts a free tail); see the engine's compact(). */
  compact(): Promise<{ bytesBefore: number; bytesAfter: number; pagesCopied: number }> {
    return this.send('compact', [])
  }
  /** The engine's counters, and `storage`: the page store in use, usage, quota, persisted. */
  stats(): Promise<Stats & { storage: StorageInfo }> {
    return this.send('stats', [])
  }
  metrics(): Promise<string> {
    return this.send('metrics', [])
  }
  /** Checks every reachable page; `onProgress` hears from the worker as it goes. */
  verify(opts: { onProgress?: (p: Progress) => void } = {}): Promise<VerifyReport> {
    return this.withProgress('verify', opts)
  }

  /**
   * A backup of a snapshot (default: a new one of the head), or with `since` only the changes
   * from an older snapshot: bytes to keep anywhere, import with importBackup() or read with
   * `dbctl --db FILE`. `onProgress` reports entries written.
   */
  exportBackup(opts: { snapshot?: SnapshotId; since?: SnapshotId; onProgress?: (p: Progress) => void } & WriteOptions = {}): Promise<Uint8Array> {
    return this.withProgress('exportBackup', opts)
  }

  /** Loads a backup as one atomic commit (full: replaces the head; incremental: needs its base imported). */
  importBackup(bytes: Uint8Array, opts: { onProgress?: (p: Progress) => void } & WriteOptions = {}): Promise<SnapshotInfo> {
    return this.withProgress('importBackup', opts, [bytes])
  }

  /** Sends a call whose options hold an onProgress: the worker reports progress on the port. */
  private async withProgress<T>(method: Method, opts: { onProgress?: (p: Progress) => void }, before: unknown[] = []): Promise<T> {
    const { onProgress, ...rest } = opts ?? {}
    if (typeof onProgress !== 'function') return this.send(method, [...before, rest])
    const id = this.nextListenerId++
    this.progress.set(id, onProgress)
    try {
      return await this.send(method, [...before, { ...rest, $progress: id }])
    } finally {
      this.progress.delete(id)
    }
  }

  /** Checkpoints and closes the files, then ends the worker. */
  async close(): Promise<void> {
    if (this.closed) return
    await new Promise((r) => queueMicrotask(() => r(undefined)))
    this.closed = true
    // calls already sent were issued before close: let them finish first
    if (this.inFlight.size) await new Promise<void>((r) => this.idleWaiters.push(r))
    globalThis.removeEventListener?.('pagehide', this.onPageHide)
    try {
      await this.remote.close()
    } finally {
      this.remote[Comlink.releaseProxy]()
      this.worker.terminate()
    }
  }

  /** Ends the worker at once, as a crash or a closed tab would (for tests). */
  terminate(): void {
    this.closed = true
    this.worker.terminate()
    this.port.close()
  }
}
