// The public Database: wires the tree, the pager, the WAL and the snapshot table together.
//
// Write path: a commit applies its ops to the in-memory tree (copying pages on first touch in
// the epoch), appends one WAL record, and resolves after the WAL flush that covers it. Commits
// made in the same tick share one flush (group commit). A checkpoint later writes the new pages
// to free slots, flushes, and saves the Meta (the atomic root switch); then the WAL restarts.
// Recovery: load the Meta, replay the WAL records after its lsn.

import { Tree, buildSorted, countRange, insert, lookup, remove, removeRange, walk, type KeyRange, type StoredValue } from './btree.js'
import { ByteReader, ByteWriter, bytesKey } from './bytes.js'
import { verifyRoots, type NamedRoot } from './check.js'
import { diffTrees, storedEqual, type RawChange } from './diff.js'
import { ClosedError, ConflictError, CorruptionError, SnapshotNotFoundError, assert } from './errors.js'
import { Marker, markReachable, unmarked } from './gc.js'
import { Relocator } from './compact.js'
import { pageTree, type PageInfo } from './inspect.js'
import { MAIN, expiredCount, historyOn, pushHistory, readStamp, retentionPolicy, validBranchName, writeStamp, type Head, type RetentionPolicy, type Stamp } from './heads.js'
import { Hlc, parseHlc } from './hlc.js'
import { BranchView } from './branch-view.js'
import { MAX_KEY_BYTES, compareKeys, decodeKey, encodeKey, encodeRange } from './keys.js'
import { Histogram, LATENCY_BUCKETS, renderPrometheus } from './metrics.js'
import { Layout, Overflow, isNode, type DiskRef, type Node, type Ref } from './node.js'
import { encodeOps, encodeRangeOp, readOps, writeOps, type EncodedOp } from './ops.js'
import { Pager } from './pager.js'
import type { HeadRecord, Meta, RootRef, SnapshotRecord, Storage } from './store.js'
import type {
  Change,
  Commit,
  Transaction,
  GcStats,
  Key,
  Op,
  OpenOptions,
  Progress,
  Range,
  ReadOptions,
  Retention,
  BranchInfo,
  WriteOptions,
  ScanOptions,
  SnapshotId,
  SnapshotInfo,
  Stats,
  Value,
  VerifyReport,
} from './types.js'
import { BufferedTransaction, conflicts, type CommitFootprint, type TxPlan } from './tx.js'
import { decodeValue, encodeValue } from './values.js'
import { RecordType, Wal } from './wal.js'
import { BackupWriter, readBackup } from './backup.js'
import { Subscriptions, type ChangeListener, type Deliveries, type Watch } from './subscriptions.js'

/** A commit applied to its head: the root before and after, and its events for subscribers. */
type Applied = { before: Ref | null; after: Ref | null; events: Deliveries }

const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024
const WAL_CHECKPOINT_BYTES = 8 * 1024 * 1024
const CHECKPOINT_DELAY_MS = 1000
/** A commit this large is made durable by a checkpoint (shadow paging), not by the WAL. */
const LARGE_COMMIT_BYTES = 1024 * 1024
const SCAN_DEFAULT_LIMIT = 1000
const ITERATE_CHUNK = 256
/** Commits remembered for validating optimistic transactions. */
const COMMIT_LOG_LIMIT = 100_000

/** A snapshot in memory: its root may still be an unwritten node until the next checkpoint. */
type Snap = Omit<SnapshotRecord, 'root'> & { root: Ref | null }

export type DatabaseOptions = OpenOptions & {
  /** WAL bytes that trigger a checkpoint. */
  walCheckpointBytes?: number
  /** Commits with more key+value bytes than this skip the WAL and commit by checkpoint. */
  largeCommitBytes?: number
  /** Delay after the last commit before a background checkpoint, and after a dropped snapshot
   * before a background gc(); 0 disables both (no background work at all). */
  checkpointDelayMs?: number
  /** Clock for snapshot ids (tests). */
  now?: () => number
}

export class Database {
  private readonly pager: Pager
  private readonly tree: Tree
  private readonly wal: Wal
  /** Heads with commits stamped for history since the last flush (not in `history` yet). */
  private stampedSinceFlush = new Set<string>()
  /** The main line and the branches, by name. */
  private heads = new Map<string, Head>()
  private retention: RetentionPolicy
  private generation = 0
  private snaps = new Map<string, Snap>()
  private readonly hlc: Hlc
  private readonly clock: () => number
  private durable: Meta
  /** Head and generation as of the last WAL flush (what a failed flush rolls back to). */
  private flushed: { roots: Map<string, Ref | null>; generation: number; pendingFree: number }
  /** Slots of pages copied away from that no retained root reaches: free after the next Meta save. */
  private pendingFree: number[] = []
  /** Roots pinned by open readers (iterators), with their generation. */
  private readers = new Map<number, { root: Ref | null; generation: number }>()
  // random start: a tab that takes over a shared database must not reuse a reader id another
  // tab still holds from the previous owner (browser/share.ts)
  private nextReader = 1 + Math.floor(Math.random() * 2 ** 40)
  private retainedGen = -1
  private waiters: { resolve: (c: Commit) => void; reject: (e: unknown) => void; commit: Commit; started: number; stamp: Stamp; roots: Applied }[] = []
  private flushQueued = false
  private checkpointing: Promise<void> | null = null
  /** Writers that arrived during a checkpoint, in call order (see inTurn). */
  private turns: (() => void)[] = []
  /** Snapshots were dropped since the last gc(): their pages are waiting to be freed. */
  private gcWanted = false
  private writtenAtGc = 0
  private gcRun: Promise<GcStats> | null = null
  /** Set while a gc marks: checkpoints (and large commits, which need one) wait for it. */
  private marking: Promise<void> | null = null
  private assistMarking: ((walFull: boolean) => void) | null = null
  private checkpointTimer: ReturnType<typeof setTimeout> | undefined
  private gcTimer: ReturnType<typeof setTimeout> | undefined
  private closed = false
  private readonly opts: Required<Pick<DatabaseOptions, 'walCheckpointBytes' | 'checkpointDelayMs' | 'largeCommitBytes'>>
  private readonly counters = { rootUpdates: 0, commits: 0, checkpoints: 0, gcRuns: 0, pagesFreed: 0 }
  private readonly commitLatency = new Histogram(LATENCY_BUCKETS)
  private readonly gcDuration = new Histogram(LATENCY_BUCKETS)
  private readonly checkpointDuration = new Histogram(LATENCY_BUCKETS)
  private recovery = { records: 0, tornTail: false }
  /** Keys written by recent commits, oldest first, for transaction validation. */
  private commitLog: CommitFootprint[] = []
  private readonly subs = new Subscriptions((e) => console.error('cowdb: a subscribe() listener threw', e))
  /** Whether two stored values are equal (reads overflow chains only when they differ). */
  private readonly sameValue = storedEqual((o) => this.pager.readChain(o, o.length))

  private constructor(
    private readonly storage: Storage,
    meta: Meta,
    opts: DatabaseOptions,
  ) {
    this.durable = meta
    this.opts = {
      walCheckpointBytes: opts.walCheckpointBytes ?? WAL_CHECKPOINT_BYTES,
      checkpointDelayMs: opts.checkpointDelayMs ?? CHECKPOINT_DELAY_MS,
      largeCommitBytes: opts.largeCommitBytes ?? LARGE_COMMIT_BYTES,
    }
    this.pager = new Pager(storage.pages, new Layout(meta.pageSize), opts.cacheBytes ?? DEFAULT_CACHE_BYTES)
    this.pager.slotCount = meta.slotCount
    this.pager.nextId = meta.nextPageId
    this.pager.loadFreeRuns(meta.free)
    this.tree = new Tree(this.pager)
    this.tree.onCopy = (old) => this.copiedAway(old)
    this.wal = new Wal(storage.wal)
    this.clock = opts.now ?? Date.now
    this.hlc = new Hlc(this.clock)
    this.hlc.observe(meta.hlc)
    this.retention = retentionPolicy(opts.retention, retentionPolicy(meta.extra?.retention as Retention | undefined))
    // a retention given at open is kept for later opens (saved by the next checkpoint)
    this.metaChanged = JSON.stringify(this.retention) !== JSON.stringify(retentionPolicy(meta.extra?.retention as Retention | undefined))
    for (const h of meta.heads) this.heads.set(h.name, { name: h.name, root: h.root, history: [], cursor: -1 })
    if (!this.heads.has(MAIN)) this.heads.set(MAIN, { name: MAIN, root: null, history: [], cursor: -1 })
    this.generation = meta.generation
    for (const s of meta.snapshots) this.snaps.set(s.id, { ...s })
    for (const s of [...this.snaps.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) if (s.kind === 'history') this.heads.get(s.branch)?.history.push(s.id)
    for (const h of meta.heads) {
      const head = this.heads.get(h.name)!
      const at = h.cursor === undefined ? -1 : head.history.indexOf(h.cursor)
      head.cursor = at >= 0 ? at : head.history.length - 1
    }
    this.flushed = { roots: this.rootsNow(), generation: this.generation, pendingFree: 0 }
    this.recomputeRetained()
  }

  /**
   * Opens (or creates) a database on `storage` and runs recovery: the WAL records after the last
   * checkpoint are replayed before the promise resolves. Cost: O(WAL bytes).
   */
  static async open(storage: Storage, opts: DatabaseOptions = {}): Promise<Database> {
    validateOptions(opts)
    let meta = await storage.meta.load()
    if (!meta) {
      meta = freshMeta(opts.pageSize ?? 4096)
      // A new store: whatever the files held before is not ours.
      storage.pages.truncate(0)
      storage.wal.truncate(0)
      storage.pages.flush()
      storage.wal.flush()
      await storage.meta.save(meta)
    } else {
      if (meta.version !== 1) throw new CorruptionError(`cowdb: unknown store version ${meta.version}`)
      if (opts.pageSize !== undefined && opts.pageSize !== meta.pageSize) {
        throw new TypeError(`cowdb: this store was created with pageSize ${meta.pageSize}, not ${opts.pageSize}`)
      }
    }
    const db = new Database(storage, meta, opts)
    db.replay()
    db.expireNamed() // a retention given at open applies to the snapshots already there
    return db
  }

  // ---- reads ----------------------------------------------------------------------------------

  /** The value of `key` at head (or at `opts.snapshot`). Cost: O(log n) page loads. */
  async get(key: Key, opts?: ReadOptions): Promise<Value | undefined> {
    this.check()
    const root = this.rootFor(opts)
    const v = lookup(this.tree, root, encodeKey(key))
    return v === undefined ? undefined : this.decode(v)
  }

  /** Values of several keys, from one consistent state. Cost: O(k log n). */
  async getMany(keys: Key[], opts?: ReadOptions): Promise<(Value | undefined)[]> {
    this.check()
    if (!Array.isArray(keys)) throw new TypeError('cowdb: getMany takes an array of keys')
    const root = this.rootFor(opts)
    const encoded = keys.map((k) => encodeKey(k))
    return encoded.map((k) => {
      const v = lookup(this.tree, root, k)
      return v === undefined ? undefined : this.decode(v)
    })
  }

  /**
   * Entries in `range`, in key order (or reverse), at most `limit` (default 1000).
   * Cost: O(log n + limit) page loads.
   */
  async scan(range: Range & ScanOptions = {}): Promise<[Key, Value][]> {
    this.check()
    const { limit, reverse } = scanOptions(range)
    return this.scanAt(this.rootFor(range), encodeRange(range), reverse, limit)
  }

  private scanAt(root: Ref | null, r: KeyRange, reverse: boolean, limit: number): [Key, Value][] {
    const out: [Key, Value][] = []
    if (limit <= 0) return out
    walk(this.tree, root, r, reverse, (k, v) => {
      out.push([decodeKey(k), this.decode(v)])
      return out.length < limit
    })
    return out
  }

  /**
   * Streams the entries in `range` in chunks, all from the state when iteration began (the
   * pages it needs stay alive until the loop ends). Cost: O(log n) per chunk plus the entries.
   */
  async *iterate(range: Range & ScanOptions = {}): AsyncGenerator<[Key, Value]> {
    this.check()
    const { limit, reverse } = scanOptions(range, Infinity)
    const base = encodeRange(range)
    const reader = this.pin(this.rootFor(range))
    try {
      let r = base
      let left = limit
      while (left > 0) {
        this.check()
        const chunk: [Uint8Array, StoredValue][] = []
        walk(this.tree, reader.root, r, reverse, (k, v) => {
          chunk.push([k, v])
          return chunk.length < Math.min(ITERATE_CHUNK, left)
        })
        for (const [k, v] of chunk) yield [decodeKey(k), this.decode(v)]
        left -= chunk.length
        if (chunk.length < ITERATE_CHUNK) break
        const last = chunk[chunk.length - 1]![0]
        r = reverse ? { ...r, hi: last, hiInclusive: false } : { ...r, lo: last, loInclusive: false }
      }
    } finally {
      this.unpin(reader.id)
    }
  }

  /** Number of keys in `range`. Cost: O(log n + k). */
  async count(range: Range = {}, opts?: ReadOptions): Promise<number> {
    this.check()
    return countRange(this.tree, this.rootFor(opts ?? (range as ReadOptions)), encodeRange(range))
  }

  // ---- writes ---------------------------------------------------------------------------------

  /** Sets `key` to `value`; resolves when durable. Cost: O(log n) + one shared WAL flush. */
  put(key: Key, value: Value, opts?: WriteOptions): Promise<Commit> {
    return this.commitOps(() => [{ type: 'put', key: encodeKey(key), value: encodeValue(value) }], opts)
  }

  /** Deletes `key` (a no-op commit if absent). */
  delete(key: Key, opts?: WriteOptions): Promise<Commit> {
    return this.commitOps(() => [{ type: 'delete', key: encodeKey(key) }], opts)
  }

  /** Applies all `ops` atomically: all or nothing. Cost: O(ops log n), each page copied once. */
  batch(ops: Op[], opts?: WriteOptions): Promise<Commit> {
    return this.commitOps(() => encodeOps(ops), opts)
  }

  /** Deletes every key in `range`, dropping whole subtrees. Cost: O(log n) pages. */
  deleteRange(range: Range, opts?: WriteOptions): Promise<Commit> {
    return this.commitOps(() => [encodeRangeOp(range)], opts)
  }

  private async commitOps(encode: () => EncodedOp[], opts?: WriteOptions, validate?: () => void): Promise<Commit> {
    this.check()
    const branch = this.branchOf(opts)
    const ops = encode() // throws TypeError before anything changes
    if (opsBytes(ops) >= this.opts.largeCommitBytes) {
      return this.inTurn(() => this.commitByCheckpoint(branch, ops, validate), { flushFirst: true, checkpoint: true })
    }
    return this.inTurn(async () => {
      this.check()
      this.headOf(branch)
      validate?.()
      const started = now()
      const stamp = this.stampFor(branch)
      const body = writeOps(ops, (w) => writeStamp(w, stamp))
      const roots = this.applyOps(stamp, ops)
      this.wal.append(RecordType.Commit, body)
      const commit = this.commitInfo(branch)
      return new Promise<Commit>((resolve, reject) => {
        this.waiters.push({ resolve, reject, commit, started, stamp, roots })
        this.scheduleFlush()
      })
    })
  }

  /** The head a call with these options writes to or reads from (TypeError if the name is bad). */
  private branchOf(opts: WriteOptions | undefined): string {
    if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw new TypeError('cowdb: options must be an object')
    return opts?.branch === undefined ? MAIN : validBranchName(opts.branch)
  }

  private headOf(branch: string): Head {
    const h = this.heads.get(branch)
    if (!h) throw new SnapshotNotFoundError(`cowdb: no branch ${JSON.stringify(branch)}`)
    return h
  }

  /** A commit's stamp: its head, and the history ids it pushes (none when history is off). */
  private stampFor(branch: string): Stamp {
    if (!historyOn(this.retention)) return { branch, history: [] }
    const head = this.headOf(branch)
    // the first commit with history also records the state it starts from, to undo back to
    const first = !head.history.length && !this.stampedSinceFlush.has(branch)
    this.stampedSinceFlush.add(branch)
    return { branch, history: first ? [this.hlc.next(), this.hlc.next()] : [this.hlc.next()] }
  }

  private rootsNow(): Map<string, Ref | null> {
    const roots = new Map<string, Ref | null>()
    for (const [name, h] of this.heads) roots.set(name, h.root)
    return roots
  }

  private setRoots(roots: Map<string, Ref | null>): void {
    for (const [name, root] of roots) {
      const h = this.heads.get(name)
      if (h) h.root = root
    }
  }

  /**
   * Runs `fn` now if no checkpoint runs and no writer waits, else after them: writers apply in
   * call order, whatever the microtask timing. `fn` runs synchronously up to its first await, so
   * nothing can come between its checks and its writes. With `flushFirst`, the WAL is flushed
   * before `fn`; if that started a checkpoint, `fn` waits for it at the head of the line.
   */
  private inTurn<T>(fn: () => Promise<T>, opts: { flushFirst?: boolean; front?: boolean; checkpoint?: boolean } = {}): Promise<T> {
    if (!this.checkpointing && !(opts.checkpoint && this.marking) && (opts.front || !this.turns.length)) {
      if (!opts.flushFirst) return fn()
      this.flushNow()
      if (!this.checkpointing) return fn()
      opts = { ...opts, front: true }
    }
    return new Promise<T>((resolve, reject) => {
      const run = (): void => void this.inTurn(fn, { ...opts, front: true }).then(resolve, reject)
      if (opts.front) this.turns.unshift(run)
      else this.turns.push(run)
    })
  }

  /** Lets waiting writers go, oldest first, until one of them starts a checkpoint. */
  private runTurns(): void {
    if (this.marking) return // the marking's end lets them go
    while (!this.checkpointing && this.turns.length) this.turns.shift()!()
  }

  /**
   * A large commit skips the WAL: its pages are written to free slots and the Meta switch is
   * its durability point, so its data is written once instead of twice. Earlier commits go
   * through the WAL first; if the checkpoint fails, the head rolls back and the commit rejects.
   */
  private async commitByCheckpoint(branch: string, ops: EncodedOp[], validate?: () => void): Promise<Commit> {
    this.check()
    const head = this.headOf(branch)
    validate?.()
    const started = now()
    assert(!this.checkpointing && !this.waiters.length, 'a large commit runs alone')
    const before = {
      roots: this.rootsNow(),
      generation: this.generation,
      pendingFree: this.pendingFree.length,
      log: this.commitLog.length,
      history: head.history.slice(),
      cursor: head.cursor,
      snaps: new Map(this.snaps),
    }
    const stamp = this.stampFor(branch)
    const roots = this.applyOps(stamp, ops)
    this.recordHistory(stamp, this.generation, roots) // in the Meta this checkpoint saves
    const commit = this.commitInfo(branch)
    this.tree.freeze()
    this.metaChanged = true
    await this.startCheckpoint((error) => {
      if (error === undefined) {
        this.flushed = { roots: this.rootsNow(), generation: this.generation, pendingFree: this.pendingFree.length }
        this.subs.post(roots.events)
        return
      }
      this.setRoots(before.roots)
      this.generation = before.generation
      this.pendingFree.length = Math.min(this.pendingFree.length, before.pendingFree)
      this.commitLog.length = before.log
      head.history = before.history
      head.cursor = before.cursor
      this.snaps = before.snaps
      this.recomputeRetained()
      this.tree.freeze()
    })
    this.commitLatency.observe((now() - started) / 1000)
    return commit
  }

  /**
   * Applies a commit's ops to its head; returns the head's root before and after, and the
   * events it makes for subscribers (computed now, posted once the commit is durable).
   */
  private applyOps(stamp: Stamp, ops: EncodedOp[]): Applied {
    const head = this.headOf(stamp.branch)
    const before = head.root
    this.generation++
    this.tree.gen = this.generation
    const watch = this.subs.watch(stamp.branch, this.generation)
    const touched = watch ? this.valuesBefore(before, ops, watch) : undefined
    let root = head.root
    if (!root && ops.length >= 256 && ops.every((o) => o.type === 'put')) {
      root = this.buildFromBatch(ops as Extract<EncodedOp, { type: 'put' }>[])
    } else {
      for (const op of ops) {
        if (op.type === 'put') root = insert(this.tree, root, op.key, op.value)
        else if (op.type === 'delete') root = remove(this.tree, root, op.key)
        else root = removeRange(this.tree, root, op.range)
      }
    }
    head.root = root
    // History keeps every commit's root: later commits must copy its pages, not edit them.
    if (stamp.history.length) this.tree.freeze()
    this.counters.rootUpdates++
    this.counters.commits++
    const footprint: CommitFootprint = { generation: this.generation, branch: stamp.branch, keys: [], ranges: [] }
    for (const op of ops) op.type === 'deleteRange' ? footprint.ranges.push(op.range) : footprint.keys.push(op.key)
    this.logCommit(footprint)
    const events = watch && touched ? watch.events(this.commitInfo(stamp.branch), this.changesAfter(root, touched), (c) => this.toChange(c)) : []
    return { before, after: root, events }
  }

  /**
   * The subscribed keys a commit's ops touch, with their values before it (read before any op
   * applies: a key no earlier op touched still has its old value, in place or not).
   */
  private valuesBefore(root: Ref | null, ops: EncodedOp[], watch: Watch): Map<string, RawChange> {
    const touched = new Map<string, RawChange>()
    const note = (key: Uint8Array, value: StoredValue | undefined) => {
      const id = bytesKey(key)
      if (!touched.has(id)) touched.set(id, value === undefined ? { key } : { key, before: value })
    }
    for (const op of ops) {
      if (op.type !== 'deleteRange') {
        if (watch.wants(op.key)) note(op.key, lookup(this.tree, root, op.key))
      } else {
        walk(this.tree, root, op.range, false, (key, value) => {
          if (watch.wants(key)) note(key, value)
          return true
        })
      }
    }
    return touched
  }

  /** The touched keys' changes after the commit, in key order; keys whose value is the same drop out. */
  private changesAfter(root: Ref | null, touched: Map<string, RawChange>): RawChange[] {
    const out: RawChange[] = []
    for (const c of touched.values()) {
      const after = lookup(this.tree, root, c.key)
      if (after !== undefined) c.after = after
      if (c.before === undefined ? after !== undefined : after === undefined || !this.sameValue(c.before, after)) out.push(c)
    }
    return out.sort((a, b) => compareKeys(a.key, b.key))
  }

  /**
   * Records a durable commit's root in its head's history (the stamp's ids; a first commit also
   * records the state before it, which is the previous generation's root of the head). The
   * entries that retention drops go, and a gc is wanted for their pages.
   */
  private recordHistory(stamp: Stamp, generation: number, roots: { before: Ref | null; after: Ref | null }): void {
    if (!stamp.history.length) return
    const head = this.headOf(stamp.branch)
    const ids = stamp.history
    const add = (id: string, root: Ref | null, gen: number) => {
      this.snaps.set(id, { id, root, generation: gen, createdAt: parseHlc(id)?.wall ?? 0, kind: 'history', branch: stamp.branch })
      this.hlc.observe(id)
      const dropped = pushHistory(head, id, (x) => this.snaps.get(x)?.createdAt ?? 0, this.retention, this.clock())
      for (const gone of dropped) this.snaps.delete(gone)
      if (dropped.length) this.gcWanted = true
    }
    if (ids.length === 2) add(ids[0]!, roots.before, generation - 1)
    add(ids[ids.length - 1]!, roots.after, generation)
    this.recomputeRetained()
  }

  /** A big batch into an empty tree: sort once, build bottom-up (the last put of a key wins). */
  private buildFromBatch(puts: Extract<EncodedOp, { type: 'put' }>[]): Ref | null {
    // Sorting on one-char-per-byte strings uses the engine's native string compare (byte order),
    // several times faster than a comparator over Uint8Arrays. The sort is stable.
    const decorated = puts.map((op) => ({ s: bytesKey(op.key), op }))
    decorated.sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : 0))
    const keys: Uint8Array[] = []
    const values: Uint8Array[] = []
    let last = ''
    for (const { s, op } of decorated) {
      if (keys.length && s === last) values[values.length - 1] = op.value
      else {
        keys.push(op.key)
        values.push(op.value)
        last = s
      }
    }
    return buildSorted(this.tree, keys, values)
  }

  private logCommit(f: CommitFootprint): void {
    this.commitLog.push(f)
    if (this.commitLog.length > COMMIT_LOG_LIMIT) this.commitLog.splice(0, this.commitLog.length - COMMIT_LOG_LIMIT)
  }

  private commitInfo(branch = MAIN): Commit {
    const root = this.headOf(branch).root
    return { generation: this.generation, root: root ? root.id : 0 }
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return
    this.flushQueued = true
    queueMicrotask(() => this.flushNow())
  }

  /** Flushes the WAL for every waiting commit (group commit), or rolls them all back. */
  private flushNow(): void {
    this.flushQueued = false
    this.stampedSinceFlush.clear()
    const waiters = this.waiters
    if (!waiters.length) return
    this.waiters = []
    try {
      this.wal.flush()
    } catch (e) {
      this.wal.discard()
      this.setRoots(this.flushed.roots)
      this.generation = this.flushed.generation
      this.pendingFree.length = this.flushed.pendingFree
      while (this.commitLog.length && this.commitLog[this.commitLog.length - 1]!.generation > this.generation) this.commitLog.pop()
      this.tree.freeze()
      for (const w of waiters) w.reject(e)
      // The rejected records may have reached the file: start a new log cycle (new salt) so
      // that a restart can never replay them.
      this.metaChanged = true
      if (!this.checkpointing) void this.checkpoint().catch(() => {})
      return
    }
    // The flushed state must stay intact (a later failed flush rolls back to it).
    this.tree.freeze()
    this.flushed = { roots: this.rootsNow(), generation: this.generation, pendingFree: this.pendingFree.length }
    const t = now()
    for (const w of waiters) {
      this.recordHistory(w.stamp, w.commit.generation, w.roots)
      this.commitLatency.observe((t - w.started) / 1000)
      w.resolve(w.commit)
      this.subs.post(w.roots.events)
    }
    this.afterFlush()
  }

  private afterFlush(): void {
    this.assistMarking?.(this.wal.offset >= this.opts.walCheckpointBytes)
    if (this.wal.offset >= this.opts.walCheckpointBytes) {
      void this.checkpoint().catch(() => {})
      return
    }
    if (this.opts.checkpointDelayMs > 0 && this.checkpointTimer === undefined) {
      this.checkpointTimer = setTimeout(() => {
        this.checkpointTimer = undefined
        if (!this.closed) void this.checkpoint().catch(() => {})
      }, this.opts.checkpointDelayMs)
      ;(this.checkpointTimer as { unref?: () => void }).unref?.()
    }
  }

  // ---- transactions ---------------------------------------------------------------------------

  /**
   * Runs `fn` as an optimistic transaction: its reads see the state it began on (and its own
   * writes), its writes are buffered and commit atomically. If a commit since the start wrote
   * a key it read or into a range it scanned, `fn` runs again (up to `retries`, default 3), then
   * ConflictError. Awaiting anything inside `fn` is fine. Blind writes never conflict.
   */
  async transaction<T>(fn: (tx: Transaction) => Promise<T>, opts: { retries?: number } & WriteOptions = {}): Promise<T> {
    this.check()
    if (typeof fn !== 'function') throw new TypeError('cowdb: transaction() takes an async function')
    const retries = opts.retries ?? 3
    if (!Number.isInteger(retries) || retries < 0) throw new TypeError(`cowdb: retries must be an integer >= 0, got ${retries}`)
    const branch = this.branchOf(opts)
    for (let attempt = 0; ; attempt++) {
      const reader = this.openReader({ branch })
      let plan: TxPlan
      let result: T
      try {
        const tx = new BufferedTransaction(
          { get: (key) => this.get(key, { reader: reader.reader } as ReadOptions), scan: (r) => this.scan({ ...r, reader: reader.reader } as Range & ScanOptions) },
          reader.generation,
        )
        result = await fn(tx)
        plan = tx.finish()
      } finally {
        this.closeReader(reader.reader)
      }
      try {
        if (plan.ops.length) await this.commitPlan(plan, { branch })
        return result
      } catch (e) {
        if (!(e instanceof ConflictError) || attempt >= retries) throw e
      }
    }
  }

  /**
   * Validates a transaction's reads against the commits since it began and applies its writes
   * atomically, or throws ConflictError. (The browser client's transactions end here.)
   */
  commitPlan(plan: TxPlan, opts?: WriteOptions): Promise<Commit> {
    const branch = this.branchOf(opts)
    return this.commitOps(
      () => plan.ops,
      opts,
      () => {
        if (conflicts(plan, this.commitLog, this.generation, branch)) {
          throw new ConflictError('cowdb: transaction conflict: a key it read (or a range it scanned) was written since it began')
        }
      },
    )
  }

  /** Pins the current head for a sequence of reads (`{ reader }` in read options). Close it when done. */
  openReader(opts?: WriteOptions): { reader: number; generation: number } {
    this.check()
    const r = this.pin(this.headOf(this.branchOf(opts)).root)
    return { reader: r.id, generation: this.generation }
  }

  /** Ends a reader from openReader(); its pages may be freed afterwards. */
  closeReader(reader: number): void {
    this.unpin(reader)
  }

  // ---- diff -----------------------------------------------------------------------------------

  /**
   * The keys that differ between snapshot `from` and snapshot `to` (default: head), with values
   * before and after, in key order. Shared subtrees are skipped: cost grows with the change.
   */
  async diff(from: SnapshotId, to?: SnapshotId, opts?: WriteOptions): Promise<Change[]> {
    const out: Change[] = []
    for await (const c of this.diffIterate(from, to, opts)) out.push(c)
    return out
  }

  /** diff() as a stream, for large differences. Holds both states' pages until it ends. */
  async *diffIterate(from: SnapshotId, to?: SnapshotId, opts?: WriteOptions): AsyncGenerator<Change> {
    this.check()
    const toRoot = to === undefined || to === null ? this.headOf(this.branchOf(opts)).root : this.snapFor(to).root
    const a = this.pin(this.snapFor(from).root)
    const b = this.pin(toRoot)
    try {
      const batch: Change[] = []
      for (const c of diffTrees(this.tree, a.root, b.root, this.sameValue)) {
        batch.push(this.toChange(c))
        if (batch.length >= ITERATE_CHUNK) {
          yield* batch.splice(0)
          this.check()
        }
      }
      yield* batch
    } finally {
      this.unpin(a.id)
      this.unpin(b.id)
    }
  }

  private toChange(c: RawChange): Change {
    const change: Change = { key: decodeKey(c.key) }
    if (c.before !== undefined) change.before = this.decode(c.before)
    if (c.after !== undefined) change.after = this.decode(c.after)
    return change
  }

  // ---- change notifications -------------------------------------------------------------------

  /**
   * Calls `listener` with each durable commit's changes to keys in `range` of a head (default
   * main), in commit order, from the next commit on: puts, deletes, deleteRange, transactions,
   * restore, undo and redo alike, each change with its value before and after. Listeners run in
   * a microtask after the commit's promise resolves; one that throws is reported and stays.
   * Cost to writers: one lookup per subscribed key a commit touches (a range delete walks its
   * range); keys outside every subscribed range cost a range check.
   * Resolves to the function that ends the subscription.
   */
  async subscribe(range: Range & WriteOptions, listener: ChangeListener): Promise<() => void> {
    this.check()
    if (typeof listener !== 'function') throw new TypeError('cowdb: subscribe() takes a range and a listener function')
    const branch = this.branchOf(range)
    this.headOf(branch)
    const { branch: _, ...keys } = range
    const encoded = encodeRange(keys)
    return this.subs.add(branch, encoded, listener, this.generation)
  }

  /** The events of a head switch (restore, undo, redo): a diff of the two roots, both immutable. */
  private switchEvents(branch: string, before: Ref | null, after: Ref | null): Deliveries {
    const watch = this.subs.watch(branch, this.generation)
    if (!watch) return []
    return watch.events(this.commitInfo(branch), diffTrees(this.tree, before, after, this.sameValue), (c) => this.toChange(c))
  }

  // ---- backups --------------------------------------------------------------------------------

  /**
   * A backup (see backup.ts) of snapshot `snapshot`, or with `since`, of only the changes from
   * snapshot `since` to it. Without `snapshot`, a snapshot of the head labelled 'backup' is taken
   * first, so the next incremental backup can start from it. The store is not blocked meanwhile:
   * both states are pinned, and the walk yields to other work every 8,192 entries.
   * Cost: O(entries) full; O(changed pages) incremental.
   */
  async exportBackup(opts: { snapshot?: SnapshotId; since?: SnapshotId; onProgress?: (p: Progress) => void } & WriteOptions = {}): Promise<Uint8Array> {
    this.check()
    if (opts === null || typeof opts !== 'object') throw new TypeError('cowdb: exportBackup() takes { snapshot?, since?, onProgress?, branch? }')
    const from = opts.since === undefined ? undefined : this.snapFor(opts.since)
    const to = this.snapFor(opts.snapshot ?? (await this.snapshot({ label: 'backup', branch: this.branchOf(opts) })).id)
    const a = this.pin(from ? from.root : null)
    const b = this.pin(to.root)
    try {
      const total = from ? 0 : countRange(this.tree, b.root, encodeRange(undefined))
      const progress = (done: number) => opts.onProgress?.({ phase: 'export', done, total: total || done })
      const out = new BackupWriter()
      for (const c of diffTrees(this.tree, a.root, b.root, this.sameValue)) {
        if (c.after === undefined) out.delete(c.key)
        else out.put(c.key, c.after instanceof Overflow ? this.pager.readChain(c.after, c.after.length) : c.after)
        if (out.entries % PROGRESS_EVERY === 0) {
          progress(out.entries)
          await yieldToEvents()
          this.check()
        }
      }
      progress(out.entries)
      return out.finish({ snapshot: to.id, ...(from ? { since: from.id } : {}), createdAt: to.createdAt, ...(to.label !== undefined ? { label: to.label } : {}) })
    } finally {
      this.unpin(a.id)
      this.unpin(b.id)
    }
  }

  /**
   * Loads a backup as one atomic commit on the head: a full backup replaces the head's contents,
   * an incremental one applies its changes and needs its base imported here before. Then a
   * snapshot labelled 'backup:<id of the backup's snapshot>' marks the state, the base for the
   * next incremental import. A damaged backup is rejected (CorruptionError) before anything changes.
   */
  async importBackup(bytes: Uint8Array, opts: { onProgress?: (p: Progress) => void } & WriteOptions = {}): Promise<SnapshotInfo> {
    this.check()
    const { header, records } = readBackup(bytes)
    const branch = this.branchOf(opts)
    if (header.since !== undefined && ![...this.snaps.values()].some((s) => s.label === backupLabel(header.since!))) {
      throw new SnapshotNotFoundError(`cowdb: this incremental backup starts from snapshot ${header.since}, which was not imported here (import the backups in order)`)
    }
    const ops: EncodedOp[] = header.since === undefined ? [encodeRangeOp({})] : []
    for (const r of records()) {
      if (r.key.length === 0 || r.key.length > MAX_KEY_BYTES) throw new CorruptionError(`cowdb: backup holds a key of ${r.key.length} bytes`)
      ops.push(r.type === 'put' ? { type: 'put', key: r.key, value: r.value } : { type: 'delete', key: r.key })
      if (ops.length % PROGRESS_EVERY === 0) opts.onProgress?.({ phase: 'import', done: ops.length, total: header.entries })
    }
    await this.commitOps(() => ops, { branch })
    opts.onProgress?.({ phase: 'import', done: header.entries, total: header.entries })
    return this.snapshot({ label: backupLabel(header.snapshot), branch })
  }

  // ---- snapshots ------------------------------------------------------------------------------

  /** Records the current head as a snapshot. O(1): no data is copied. Cost: one WAL flush. */
  async snapshot(opts: { label?: string } & WriteOptions = {}): Promise<SnapshotInfo> {
    this.check()
    if (opts === null || typeof opts !== 'object') throw new TypeError('cowdb: snapshot() takes { label?, branch? }')
    if (opts.label !== undefined && typeof opts.label !== 'string') throw new TypeError('cowdb: snapshot label must be a string')
    const branch = this.branchOf(opts)
    return this.loggedInTurn(() => this.headOf(branch), () => this.takeSnapshot(opts.label, branch))
  }

  private takeSnapshot(label: string | undefined, branch: string): SnapshotInfo {
    const snap: Snap = {
      id: this.hlc.next(),
      root: this.headOf(branch).root,
      generation: this.generation,
      createdAt: 0,
      kind: 'named',
      branch,
      ...(label !== undefined ? { label } : {}),
    }
    snap.createdAt = parseHlc(snap.id)!.wall
    this.durablyLog(RecordType.Snapshot, snapshotBody(snap), () => this.addSnapshot(snap))
    return snapshotInfo(snap)
  }

  private addSnapshot(snap: Snap): void {
    snap.root = this.headOf(snap.branch).root
    snap.generation = this.generation
    this.tree.freeze()
    this.snaps.set(snap.id, snap)
    this.recomputeRetained()
    this.expireNamed()
  }

  /** With `keepNamed: false`, named snapshots age out by keepLast/keepFor like history does. */
  private expireNamed(): void {
    const p = this.retention
    if (p.keepNamed || !historyOn(p)) return
    const named = [...this.snaps.values()].filter((s) => s.kind === 'named').map((s) => s.id).sort()
    const drop = expiredCount(named, (id) => this.snaps.get(id)!.createdAt, p, this.clock())
    for (const id of named.slice(0, drop)) this.removeSnapshot(id)
  }

  /** Every snapshot, oldest first. Cost: O(snapshots). */
  async snapshots(): Promise<SnapshotInfo[]> {
    this.check()
    return [...this.snaps.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map(snapshotInfo)
  }

  /** Forgets a snapshot; its pages are freed by the next GC unless something else reaches them. */
  async dropSnapshot(id: SnapshotId): Promise<void> {
    return this.loggedInTurn(
      () => this.snapFor(id),
      () => this.durablyLog(RecordType.DropSnapshot, new ByteWriter().str(id).view(), () => this.removeSnapshot(id)),
    )
  }

  private removeSnapshot(id: string): void {
    const snap = this.snaps.get(id)
    const head = snap?.kind === 'history' ? this.heads.get(snap.branch) : undefined
    const at = head ? head.history.indexOf(id) : -1
    if (head && at >= 0) {
      head.history.splice(at, 1)
      if (at <= head.cursor) head.cursor = Math.max(head.history.length ? 0 : -1, head.cursor - 1)
    }
    this.snaps.delete(id)
    this.recomputeRetained()
    this.gcWanted = true
    this.scheduleGc()
  }

  /** A dropped snapshot's pages come back by a gc() in the background, debounced. */
  private scheduleGc(): void {
    const delay = this.opts.checkpointDelayMs * 2
    if (delay <= 0 || this.gcTimer !== undefined || this.closed) return
    this.gcTimer = setTimeout(() => {
      this.gcTimer = undefined
      if (!this.closed && this.gcWanted) this.backgroundGc()
    }, delay)
    ;(this.gcTimer as { unref?: () => void }).unref?.()
  }

  /** Makes a snapshot's state the head again, as a new commit (so it can itself be undone). O(1). */
  async restore(id: SnapshotId, opts?: WriteOptions): Promise<Commit> {
    const branch = this.branchOf(opts)
    return this.loggedInTurn(
      () => {
        this.snapFor(id)
        this.headOf(branch)
      },
      () => {
        const stamp = this.stampFor(branch)
        this.durablyLog(RecordType.Restore, writeStamp(new ByteWriter(), stamp).str(id).view(), () => this.applyRestore(stamp, id))
        return this.commitInfo(branch)
      },
    )
  }

  // ---- history: undo and redo -----------------------------------------------------------------

  /**
   * Moves the head back one commit in its history, as a new commit: durable, and itself undone by
   * redo(). Null when there is nothing to undo (history off, or at its oldest kept entry).
   * History is on when retention has keepLast or keepFor. O(1): no page is copied.
   */
  async undo(opts?: WriteOptions): Promise<Commit | null> {
    return this.moveInHistory(-1, opts)
  }

  /** Moves the head forward again after undo(). Null when there is nothing to redo. O(1). */
  async redo(opts?: WriteOptions): Promise<Commit | null> {
    return this.moveInHistory(1, opts)
  }

  private async moveInHistory(step: -1 | 1, opts?: WriteOptions): Promise<Commit | null> {
    const branch = this.branchOf(opts)
    return this.loggedInTurn(
      () => this.headOf(branch),
      () => {
        const head = this.headOf(branch)
        const target = head.history[head.cursor + step]
        if (head.cursor < 0 || target === undefined) return null
        this.durablyLog(RecordType.Move, new ByteWriter().str(branch).str(target).view(), () => this.applyMove(branch, target))
        return this.commitInfo(branch)
      },
    )
  }

  private applyMove(branch: string, id: string): void {
    const head = this.headOf(branch)
    const at = head.history.indexOf(id)
    if (at < 0) return // retention dropped it meanwhile (a replay with a later clock)
    const before = head.root
    this.generation++
    this.tree.gen = this.generation
    head.root = this.snapFor(id).root
    head.cursor = at
    this.tree.freeze()
    this.counters.rootUpdates++
    this.logCommit({ generation: this.generation, branch, keys: [], ranges: [], all: true })
    this.subs.post(this.switchEvents(branch, before, head.root))
  }

  /** Changes the retention of automatic history. Turning history off drops the history kept. */
  async setRetention(retention: Retention): Promise<void> {
    this.check()
    const policy = retentionPolicy(retention, this.retention)
    return this.loggedInTurn(
      () => {},
      () => this.durablyLog(RecordType.Retention, new ByteWriter().str(JSON.stringify(policy)).view(), () => this.applyRetention(policy)),
    )
  }

  private applyRetention(policy: RetentionPolicy): void {
    this.retention = policy
    this.metaChanged = true
    if (!historyOn(policy)) for (const s of [...this.snaps.values()]) if (s.kind === 'history') this.removeSnapshot(s.id)
    this.expireNamed()
    this.recomputeRetained()
  }

  /** The retention in force. */
  async getRetention(): Promise<Required<Retention>> {
    this.check()
    return { ...this.retention }
  }

  // ---- branches -------------------------------------------------------------------------------

  /**
   * Makes a new named head at main's head, or at snapshot `from`. O(1): no page is copied; the
   * branch shares every page with its origin until one of them writes. Every read and write
   * takes `{ branch }`; `onBranch(name)` gives a handle that passes it for you.
   */
  async branch(name: string, opts: { from?: SnapshotId } = {}): Promise<BranchInfo> {
    validBranchName(name)
    if (opts === null || typeof opts !== 'object') throw new TypeError('cowdb: branch() takes { from? }')
    return this.loggedInTurn(
      () => {
        if (this.heads.has(name)) throw new TypeError(`cowdb: branch ${JSON.stringify(name)} exists`)
        if (opts.from !== undefined) this.snapFor(opts.from)
      },
      () => {
        const body = new ByteWriter().str(name).str(opts.from ?? '').view()
        this.durablyLog(RecordType.Branch, body, () => this.applyBranch(name, opts.from ?? ''))
        return this.branchInfo(this.headOf(name))
      },
    )
  }

  private applyBranch(name: string, from: string): void {
    const root = from ? this.snapFor(from).root : this.headOf(MAIN).root
    this.tree.freeze() // the two heads share these pages now
    this.heads.set(name, { name, root, history: [], cursor: -1 })
    this.metaChanged = true
  }

  /** Every head: main first, then branches by name. */
  async branches(): Promise<BranchInfo[]> {
    this.check()
    const list = [...this.heads.values()].sort((a, b) => (a.name === MAIN ? -1 : b.name === MAIN ? 1 : a.name < b.name ? -1 : 1))
    return list.map((h) => this.branchInfo(h))
  }

  /** Removes a branch and its history; its pages are freed by the next gc. Main cannot go. */
  async dropBranch(name: string): Promise<void> {
    validBranchName(name)
    if (name === MAIN) throw new TypeError('cowdb: the main head cannot be dropped')
    return this.loggedInTurn(
      () => this.headOf(name),
      () => this.durablyLog(RecordType.DropBranch, new ByteWriter().str(name).view(), () => this.applyDropBranch(name)),
    )
  }

  private applyDropBranch(name: string): void {
    for (const s of [...this.snaps.values()]) if (s.kind === 'history' && s.branch === name) this.removeSnapshot(s.id)
    this.heads.delete(name)
    this.metaChanged = true
    this.gcWanted = true
    this.scheduleGc()
  }

  private branchInfo(h: Head): BranchInfo {
    return {
      name: h.name,
      root: h.root ? h.root.id : 0,
      generation: this.generation,
      history: h.history.length,
      undoable: Math.max(0, h.cursor),
      redoable: h.cursor < 0 ? 0 : h.history.length - 1 - h.cursor,
    }
  }

  /** A handle on one branch: the Database API with `{ branch: name }` filled in. */
  onBranch(name: string): BranchView {
    return new BranchView(this, validBranchName(name))
  }

  private applyRestore(stamp: Stamp, id: string): void {
    const head = this.headOf(stamp.branch)
    const before = head.root
    this.generation++
    this.tree.gen = this.generation
    head.root = this.snapFor(id).root
    this.tree.freeze()
    this.counters.rootUpdates++
    this.logCommit({ generation: this.generation, branch: stamp.branch, keys: [], ranges: [], all: true })
    this.recordHistory(stamp, this.generation, { before, after: head.root })
    this.subs.post(this.switchEvents(stamp.branch, before, head.root))
  }

  /**
   * A change recorded by one WAL record, in the writers' line: `validate` runs now (a bad call
   * fails before it waits) and again in its turn (another writer may have changed things since);
   * `change` then logs it with durablyLog. Earlier commits are flushed first.
   */
  private loggedInTurn<T>(validate: () => void, change: () => T): Promise<T> {
    this.check()
    validate()
    return this.inTurn(async () => {
      this.check()
      validate()
      return change()
    }, { flushFirst: true })
  }

  /** Appends one record and flushes it at once; applies `apply` only if the flush succeeds. */
  private durablyLog(type: RecordType, body: Uint8Array, apply: () => void): void {
    this.wal.append(type, body)
    try {
      this.wal.flush()
    } catch (e) {
      this.wal.discard()
      this.metaChanged = true // as in flushNow: the next checkpoint starts a new log cycle
      throw e
    }
    apply()
    this.flushed = { roots: this.rootsNow(), generation: this.generation, pendingFree: this.pendingFree.length }
    this.afterFlush()
  }

  // ---- checkpoint -----------------------------------------------------------------------------

  /**
   * Writes every page that only memory holds to free slots, flushes, and saves the Meta (the
   * atomic root switch); then the WAL restarts. Commits wait meanwhile; reads do not.
   * Cost: O(new pages) writes, one pages flush, one Meta save.
   */
  async checkpoint(): Promise<void> {
    this.check()
    return this.startCheckpoint()
  }

  /**
   * Starts a checkpoint unless one runs. `settled` runs when it ends, before any waiting writer
   * goes: a writer that rides on the checkpoint must update or roll back the head first.
   */
  private startCheckpoint(settled?: (error: unknown) => void): Promise<void> {
    if (this.checkpointing) return this.checkpointing
    if (this.marking) return this.marking.then(() => this.startCheckpoint(settled))
    this.flushNow()
    // flushing may itself have started one (WAL over its threshold)
    if (this.checkpointing) return this.checkpointing
    if (this.wal.offset === 0 && this.pendingFree.length === 0 && !this.metaChanged) {
      settled?.(undefined)
      return Promise.resolve()
    }
    const end = (error: unknown): void => {
      this.checkpointing = null
      settled?.(error)
      this.runTurns()
    }
    const run = this.runCheckpoint().then(
      () => end(undefined),
      (e: unknown) => {
        end(e)
        throw e
      },
    )
    this.checkpointing = run
    return run
  }

  private metaChanged = false

  private async runCheckpoint(): Promise<void> {
    const started = now()
    const alloc = this.pager.saveAllocator()
    const written: { node: Node; vals: Node['vals'] | null }[] = []
    const heads: HeadRecord[] = []
    const snapRefs = new Map<string, RootRef>()
    try {
      this.pager.gen = this.generation
      for (const h of this.heads.values()) {
        const record: HeadRecord = { name: h.name, root: this.writeTree(h.root, written), generation: this.generation }
        if (h.cursor >= 0 && h.cursor < h.history.length - 1) record.cursor = h.history[h.cursor]
        heads.push(record)
      }
      for (const s of this.snaps.values()) snapRefs.set(s.id, this.writeTree(s.root, written))
      this.pager.writeStaged()
    } catch (e) {
      for (const w of written) {
        w.node.slot = -1
        w.node.keyChains = undefined
        if (w.vals) w.node.vals = w.vals
      }
      this.pager.restoreAllocator(alloc)
      throw e
    }
    // Written nodes are immutable now; let their parents point at the disk copies.
    for (const { node } of written) {
      if (!node.leaf) node.kids = node.kids.map(toDiskRef)
      this.pager.cache.set(node)
    }
    const meta: Meta = {
      version: 1,
      pageSize: this.pager.pageSize,
      generation: this.generation,
      nextPageId: this.pager.nextId,
      lsn: this.wal.lsn,
      slotCount: this.pager.slotCount,
      free: this.pager.freeRuns(),
      heads,
      snapshots: [...this.snaps.values()].map((s) => ({ ...s, root: snapRefs.get(s.id) ?? null })),
      hlc: this.hlc.next(),
      walSalt: (Math.random() * 2 ** 32) >>> 0,
      extra: { retention: this.retention },
    }
    await this.storage.meta.save(meta)
    this.durable = meta
    this.metaChanged = false
    for (const s of this.snaps.values()) {
      const ref = snapRefs.get(s.id)
      if (ref && s.root && isNode(s.root)) s.root = ref
    }
    this.pager.addFree(this.pendingFree)
    this.pendingFree = []
    this.flushed = { ...this.flushed, pendingFree: 0 }
    this.wal.restart(meta.walSalt!)
    this.counters.checkpoints++
    this.checkpointDuration.observe((now() - started) / 1000)
    // Busy writers never let the gc timer fire: collect after the checkpoint instead, once enough
    // was written since the last gc that the garbage may be worth a walk of every live page.
    if (this.gcWanted && this.opts.checkpointDelayMs > 0 && this.gcDue()) {
      this.gcWanted = false
      queueMicrotask(() => this.closed || this.backgroundGc())
    }
  }

  /** Writes the unwritten nodes under `ref` (children first). */
  private writeTree(ref: Ref | null, written: { node: Node; vals: Node['vals'] | null }[]): RootRef {
    if (!ref) return null
    if (!isNode(ref) || ref.slot >= 0) return { slot: ref.slot, id: ref.id }
    if (!ref.leaf) for (const k of ref.kids) if (isNode(k) && k.slot < 0) this.writeTree(k, written)
    written.push({ node: ref, vals: ref.leaf ? ref.vals.slice() : null })
    this.pager.writeNode(ref)
    return { slot: ref.slot, id: ref.id }
  }

  // ---- space ----------------------------------------------------------------------------------

  /** A page the tree copied away from: free it at the next checkpoint if no retained root reaches it. */
  private copiedAway(old: Node): void {
    if (old.gen > this.retainedGen) {
      this.pendingFree.push(old.slot)
      if (old.keyChains) for (const c of old.keyChains) for (const p of this.pager.chainPagesFast(c)) this.pendingFree.push(p.slot)
    }
  }

  /** The newest generation any snapshot or reader holds; pages newer than it are the head's alone. */
  private recomputeRetained(): void {
    // With history on, every commit's root is kept (history entries are recorded at the flush,
    // after later commits of the group already ran): no page is cheap to free; gc finds them.
    let g = historyOn(this.retention) ? Number.MAX_SAFE_INTEGER : -1
    for (const s of this.snaps.values()) g = Math.max(g, s.kind === 'history' ? Number.MAX_SAFE_INTEGER : s.generation)
    for (const r of this.readers.values()) g = Math.max(g, r.generation)
    // The durable head is a root too until the next checkpoint replaces it.
    this.retainedGen = g
  }

  private pin(root: Ref | null): { id: number; root: Ref | null } {
    const id = this.nextReader++
    this.tree.freeze()
    this.readers.set(id, { root, generation: this.generation })
    this.recomputeRetained()
    return { id, root }
  }

  private unpin(id: number): void {
    this.readers.delete(id)
    this.recomputeRetained()
  }

  /**
   * Frees every slot that no root reaches: head, snapshots, open readers and the last durable
   * Meta's roots. Then checkpoints and gives free space at the end of the file back.
   * Cost: O(live pages) reads.
   */
  async gc(): Promise<GcStats> {
    this.check()
    return this.gcOnce(true)
  }

  /** One gc at a time: a call while one runs shares it. */
  private gcOnce(giveBack: boolean): Promise<GcStats> {
    this.gcRun ??= this.inTurn(() => this.runGc(giveBack)).finally(() => (this.gcRun = null))
    return this.gcRun
  }

  /**
   * Whether a background gc pays: it walks every live page, so it waits until the pages written
   * since the last one reach a quarter of the live ones (at least GC_MIN_WRITTEN). The walk then
   * costs O(1) per page written, and garbage stays under about a quarter of the file.
   */
  private gcDue(): boolean {
    const written = this.pager.counters.pagesWritten - this.writtenAtGc
    return written >= Math.max(GC_MIN_WRITTEN, (this.pager.slotCount - this.pager.freeCount) / 4)
  }

  /**
   * Gives the free space inside the pages file (and the WAL file) back to the OS; gc() only cuts
   * a free tail. A gc, then every live page above the first `live` slots, and the pages on the
   * paths to them, is copied and written to the lowest free slots by one checkpoint that
   * switches every head and snapshot to the copies; a gc frees the old pages and truncates the
   * tail. Paths need slots too, so a pass may leave a few copies high: passes repeat (up to
   * COMPACT_PASSES) until one moves nothing. Nothing changes for readers; shared pages stay
   * shared. Open readers keep their old pages (and so part of the tail) until they end.
   * Cost: O(live pages) reads and up to as many writes per pass; copies are held in memory
   * until their checkpoint.
   */
  async compact(): Promise<{ bytesBefore: number; bytesAfter: number; pagesCopied: number }> {
    this.check()
    return this.inTurn(async () => {
      const bytesBefore = this.pager.slotCount * this.pager.pageSize
      let pagesCopied = 0
      await this.runGc(true)
      // The pages on the paths to moved pages need slots too, so a pass can leave a few copies
      // above the cut; the next pass moves those (measured: two or three passes settle).
      for (let pass = 0; pass < COMPACT_PASSES; pass++) {
        const copied = await this.compactPass()
        pagesCopied += copied
        if (copied === 0) break // nothing live above the cut
      }
      this.wal.shrink() // just checkpointed: the log file holds little that is live
      return { bytesBefore, bytesAfter: this.pager.slotCount * this.pager.pageSize, pagesCopied }
    })
  }

  /** One compaction pass (after a gc): copy, checkpoint, gc. Returns the pages copied. */
  private async compactPass(): Promise<number> {
    this.check()
    this.flushNow() // commits waiting for their flush record their history roots first
    const relocator = new Relocator(this.tree, this.pager.slotCount - this.pager.freeCount)
    for (const h of this.heads.values()) h.root = relocator.root(h.root)
    for (const s of this.snaps.values()) s.root = relocator.root(s.root)
    this.flushed = { ...this.flushed, roots: new Map([...this.flushed.roots].map(([name, root]) => [name, relocator.root(root)])) }
    this.tree.freeze()
    this.metaChanged = true
    await this.checkpoint()
    await this.checkpointIdle()
    await this.runGc(true)
    return relocator.copied
  }

  /** gc() started by the engine itself: it gives space back only when that is worth a checkpoint. */
  private backgroundGc(): void {
    this.gcOnce(false).catch(() => {})
  }

  private async runGc(giveBack = true): Promise<GcStats> {
    this.gcWanted = false
    this.writtenAtGc = this.pager.counters.pagesWritten
    const started = now()
    // Checkpoint first, so that the durable Meta no longer holds dropped snapshots or old heads.
    this.metaChanged = true
    await this.checkpoint()
    await this.checkpointIdle()
    this.check()
    const { marked, freed } = await this.markInSteps()
    // The next checkpoint saves the free list (a crash before it only leaks, till the next gc).
    // Giving the free tail of the file back needs it saved first: done by gc(), and in the
    // background only when a quarter of the file is a free tail. A checkpoint here otherwise
    // writes out every commit made while marking, and a busy writer's workload then keeps
    // three trees on disk instead of two (measured: the soak at 4.7x a fresh store, not 3.2x).
    this.metaChanged = true
    if (giveBack || this.pager.freeTail() * 4 >= this.pager.slotCount) {
      await this.checkpoint()
      await this.checkpointIdle()
      this.pager.truncateTail()
    }
    const seconds = (now() - started) / 1000
    this.gcDuration.observe(seconds)
    this.counters.gcRuns++
    const pagesFree = this.pager.freeCount
    this.counters.pagesFreed += freed
    return { pagesFreed: freed, pagesLive: marked.size, pagesFree, durationMs: seconds * 1000 }
  }

  /**
   * Marks what the live roots reach, GC_STEP_PAGES pages at a time, and puts every slot they
   * don't reach on the free list. Writers commit between steps (to memory and the WAL);
   * checkpoints wait until it ends (see Marker).
   */
  private async markInSteps(): Promise<{ marked: Set<number>; freed: number }> {
    this.tree.freeze()
    const marker = new Marker(this.tree, this.liveRoots())
    let end!: () => void
    this.marking = new Promise<void>((resolve) => (end = resolve))
    let urgent = false
    try {
      // A writer loop that never yields to the event loop starves the timer (and with it every
      // checkpoint): then commits assist, each giving the marking a step once it has waited a
      // few ms, and once the WAL is over its threshold the rest is marked in one go.
      while (!marker.step(urgent ? Infinity : GC_STEP_PAGES)) {
        const parked = now()
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 0)
          this.assistMarking = (walFull) => {
            if (!walFull && now() - parked < GC_ASSIST_AFTER_MS) return
            clearTimeout(timer)
            urgent ||= walFull
            resolve()
          }
        })
        this.assistMarking = null
      }
      // Now, before any checkpoint can allocate a slot the marking never saw: unmarked slots
      // (but those already waiting in pendingFree) are the garbage.
      const pending = new Set(this.pendingFree)
      const free = unmarked(this.pager.slotCount, marker.marked).filter((s) => !pending.has(s))
      const freed = Math.max(0, free.length - this.pager.freeCount) // newly found unreachable
      this.pager.setFree(free)
      return { marked: marker.marked, freed }
    } finally {
      this.marking = null
      end()
      this.runTurns()
    }
  }

  /** Resolves once no checkpoint runs. Not in line with writers: only gc and compact, whose order is free, use it. */
  private async checkpointIdle(): Promise<void> {
    while (this.checkpointing) await this.checkpointing.catch(() => {})
  }

  private liveRoots(): (Ref | null)[] {
    const roots: (Ref | null)[] = [...this.rootsNow().values(), ...this.flushed.roots.values()]
    for (const s of this.snaps.values()) roots.push(s.root)
    for (const r of this.readers.values()) roots.push(r.root)
    for (const h of this.durable.heads) roots.push(h.root)
    for (const s of this.durable.snapshots) roots.push(s.root)
    return roots
  }

  // ---- checks and numbers ---------------------------------------------------------------------

  /** Re-reads and checks every page reachable from every root. Cost: O(reachable pages) reads. */
  async verify(opts: { onProgress?: (p: Progress) => void } = {}): Promise<VerifyReport> {
    this.check()
    const roots: NamedRoot[] = [...this.heads.values()].map((h) => ({ name: h.name === MAIN ? 'head' : `branch ${h.name}`, root: h.root }))
    for (const s of this.snaps.values()) roots.push({ name: `snapshot ${s.id}`, root: s.root })
    return verifyRoots(this.pager, roots, this.pager.freeSlots(), (done, total) => opts.onProgress?.({ phase: 'verify', done, total }))
  }

  /**
   * The pages a head or snapshot reaches, level by level (ids, slots, generations, first and last
   * keys), at most `maxPages` (default 300): what the playground draws to show sharing.
   */
  async inspect(opts: ReadOptions & { maxPages?: number } = {}): Promise<PageInfo | null> {
    this.check()
    const maxPages = opts.maxPages ?? 300
    if (!Number.isInteger(maxPages) || maxPages < 1) throw new TypeError(`cowdb: maxPages must be an integer >= 1, got ${maxPages}`)
    return pageTree(this.tree, this.rootFor(opts), maxPages)
  }

  /**
   * Where the pages file's slots are: reachable from a live root (heads, snapshots, history,
   * readers, the durable Meta), free, waiting to be freed at the next checkpoint, or none of
   * these (leaked: only a gc() finds them), and reachable slots wrongly on the free list.
   * After gc() both `leaked` and `reachableButFree` are 0. Cost: O(live pages) reads.
   */
  async space(): Promise<{ slots: number; reachable: number; free: number; pending: number; leaked: number; reachableButFree: number }> {
    this.check()
    const marked = markReachable(this.tree, this.liveRoots())
    const free = this.pager.freeSlots()
    const pending = new Set(this.pendingFree)
    let leaked = 0
    let reachableButFree = 0
    for (let slot = 0; slot < this.pager.slotCount; slot++) {
      if (marked.has(slot) && free.has(slot)) reachableButFree++
      else if (!marked.has(slot) && !free.has(slot) && !pending.has(slot)) leaked++
    }
    return { slots: this.pager.slotCount, reachable: marked.size, free: free.size, pending: pending.size, leaked, reachableButFree }
  }

  /** Counters and sizes. Cost: O(snapshots). */
  async stats(): Promise<Stats> {
    this.check()
    const c = this.pager.counters
    return {
      pageSize: this.pager.pageSize,
      generation: this.generation,
      pagesLive: this.pager.slotCount - this.pager.freeCount,
      pagesFree: this.pager.freeCount,
      pagesPendingFree: this.pendingFree.length,
      fileBytes: this.storage.pages.size(),
      walBytes: this.wal.offset,
      snapshots: this.snaps.size,
      cacheHits: this.pager.cache.hits,
      cacheMisses: this.pager.cache.misses,
      pagesCreated: c.pagesCreated,
      pagesWritten: c.pagesWritten,
      pagesRead: c.pagesRead,
      rootUpdates: this.counters.rootUpdates,
      commits: this.counters.commits,
      checkpoints: this.counters.checkpoints,
      gcRuns: this.counters.gcRuns,
      recoveredRecords: this.recovery.records,
      recoveredTornTail: this.recovery.tornTail,
    }
  }

  /** Prometheus text exposition of the engine's metrics. Cost: O(snapshots). */
  async metrics(): Promise<string> {
    const s = await this.stats()
    let newest = 0
    for (const snap of this.snaps.values()) newest = Math.max(newest, snap.createdAt)
    return renderPrometheus([
      { name: 'cow_pages_created_total', help: 'Pages created (copied or new) by writes.', type: 'counter', value: s.pagesCreated },
      { name: 'cow_root_updates_total', help: 'Head root switches (commits, restores).', type: 'counter', value: s.rootUpdates },
      { name: 'cow_snapshot_age_seconds', help: 'Age of the newest snapshot (0 when there is none).', type: 'gauge', value: newest ? (Date.now() - newest) / 1000 : 0 },
      { name: 'cow_garbage_collector_duration_seconds', help: 'Duration of garbage collection runs.', type: 'histogram', hist: this.gcDuration },
      { name: 'cow_pages_live', help: 'Slots in use in the pages file.', type: 'gauge', value: s.pagesLive },
      { name: 'cow_pages_free', help: 'Free slots in the pages file.', type: 'gauge', value: s.pagesFree },
      { name: 'cow_file_bytes', help: 'Size of the pages file.', type: 'gauge', value: s.fileBytes },
      { name: 'cow_wal_bytes', help: 'Bytes in the write-ahead log since the last checkpoint.', type: 'gauge', value: s.walBytes },
      { name: 'cow_cache_hits_total', help: 'Page cache hits.', type: 'counter', value: s.cacheHits },
      { name: 'cow_cache_misses_total', help: 'Page cache misses.', type: 'counter', value: s.cacheMisses },
      { name: 'cow_snapshots', help: 'Snapshots retained.', type: 'gauge', value: s.snapshots },
      { name: 'cow_commit_duration_seconds', help: 'Commit latency, from call to durable.', type: 'histogram', hist: this.commitLatency },
      { name: 'cow_checkpoint_duration_seconds', help: 'Checkpoint duration.', type: 'histogram', hist: this.checkpointDuration },
    ])
  }

  /** Checkpoints, then closes the files. Later calls reject with ClosedError. */
  async close(): Promise<void> {
    if (this.closed) return
    return this.inTurn(() => this.closeNow(), { flushFirst: true })
  }

  private async closeNow(): Promise<void> {
    if (this.closed) return
    try {
      if (this.wal.offset > 0 || this.pendingFree.length || this.metaChanged) await this.checkpoint()
    } finally {
      this.closed = true
      clearTimeout(this.checkpointTimer)
      clearTimeout(this.gcTimer)
      this.storage.pages.close()
      this.storage.wal.close()
      await this.storage.meta.close()
      await this.storage.release?.()
    }
  }

  // ---- recovery -------------------------------------------------------------------------------

  private replay(): void {
    const result = this.wal.replay(this.durable.lsn, this.durable.walSalt ?? 0, (type, body) => {
      const r = new ByteReader(body)
      if (type === RecordType.Commit) {
        const stamp = readStamp(r)
        this.recordHistory(stamp, this.generation + 1, this.applyOps(stamp, readOps(r)))
      } else if (type === RecordType.Snapshot) this.addSnapshot(readSnapshotBody(body))
      else if (type === RecordType.DropSnapshot) this.removeSnapshot(r.str())
      else if (type === RecordType.Restore) this.applyRestore(readStamp(r), r.str())
      else if (type === RecordType.Move) this.applyMove(r.str(), r.str())
      else if (type === RecordType.Branch) this.applyBranch(r.str(), r.str())
      else if (type === RecordType.DropBranch) this.applyDropBranch(r.str())
      else if (type === RecordType.Retention) this.applyRetention(retentionPolicy(JSON.parse(r.str()) as Retention))
      else throw new CorruptionError(`cowdb: unknown WAL record type ${type}`)
    })
    this.recovery = { records: result.records, tornTail: result.tornTail }
    for (const s of this.snaps.values()) this.hlc.observe(s.id)
    this.tree.freeze()
    this.flushed = { roots: this.rootsNow(), generation: this.generation, pendingFree: this.pendingFree.length }
  }

  // ---- helpers --------------------------------------------------------------------------------

  private check(): void {
    if (this.closed) throw new ClosedError('cowdb: the database is closed')
  }

  private snapFor(id: SnapshotId): Snap {
    if (typeof id !== 'string') throw new TypeError(`cowdb: a snapshot id is a string, got ${typeof id}`)
    const s = this.snaps.get(id)
    if (!s) throw new SnapshotNotFoundError(`cowdb: no snapshot ${JSON.stringify(id)}`)
    return s
  }

  private rootFor(opts: (ReadOptions & { reader?: number }) | undefined): Ref | null {
    if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw new TypeError('cowdb: read options must be an object')
    if (opts?.reader !== undefined) {
      const r = this.readers.get(opts.reader)
      if (!r) throw new ClosedError(`cowdb: reader ${opts.reader} has ended`)
      return r.root
    }
    if (opts?.snapshot !== undefined) return this.snapFor(opts.snapshot).root
    return this.headOf(opts?.branch === undefined ? MAIN : validBranchName(opts.branch)).root
  }

  private decode(v: StoredValue): Value {
    return decodeValue(v instanceof Overflow ? this.pager.readChain(v, v.length) : v)
  }
}

function opsBytes(ops: EncodedOp[]): number {
  let n = 0
  for (const op of ops) n += op.type === 'put' ? op.key.length + op.value.length : 16
  return n
}

function toDiskRef(r: Ref): Ref {
  return isNode(r) && r.slot >= 0 ? ({ slot: r.slot, id: r.id } as DiskRef) : r
}

function freshMeta(pageSize: number): Meta {
  return { version: 1, pageSize, generation: 0, nextPageId: 1, lsn: 0, slotCount: 0, free: [], heads: [{ name: 'main', root: null, generation: 0 }], snapshots: [], hlc: '' }
}

function validateOptions(opts: DatabaseOptions): void {
  if (opts === null || typeof opts !== 'object') throw new TypeError('cowdb: options must be an object')
  const ps = opts.pageSize
  if (ps !== undefined && (!Number.isInteger(ps) || ps < 512 || ps > 65536 || (ps & (ps - 1)) !== 0)) {
    throw new TypeError(`cowdb: pageSize must be a power of two from 512 to 65536, got ${ps}`)
  }
  const cb = opts.cacheBytes
  if (cb !== undefined && (typeof cb !== 'number' || !(cb >= 0))) throw new TypeError(`cowdb: cacheBytes must be a number >= 0, got ${cb}`)
}

function scanOptions(o: ScanOptions, defaultLimit = SCAN_DEFAULT_LIMIT): { limit: number; reverse: boolean } {
  if (o === null || typeof o !== 'object') throw new TypeError('cowdb: scan options must be an object')
  const limit = o.limit ?? defaultLimit
  if (typeof limit !== 'number' || Number.isNaN(limit) || limit < 0) throw new TypeError(`cowdb: limit must be a number >= 0, got ${String(o.limit)}`)
  if (o.reverse !== undefined && typeof o.reverse !== 'boolean') throw new TypeError('cowdb: reverse must be a boolean')
  return { limit, reverse: o.reverse === true }
}

const PROGRESS_EVERY = 8192
const GC_MIN_WRITTEN = 64
const COMPACT_PASSES = 4
/** Pages a gc marks between yields: a few ms of work (measured ~7 ms at 1M keys), so writers never wait long. */
const GC_STEP_PAGES = 256
/** How long a marking step may wait for its timer before a commit runs it instead. */
const GC_ASSIST_AFTER_MS = 4
const backupLabel = (id: string) => `backup:${id}`
/** Lets other tasks (worker messages, timers) run in the middle of long work. */
const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

function snapshotInfo(s: Snap): SnapshotInfo {
  const info: SnapshotInfo = { id: s.id, root: s.root ? s.root.id : 0, generation: s.generation, createdAt: s.createdAt, kind: s.kind, branch: s.branch }
  if (s.label !== undefined) info.label = s.label
  return info
}

function snapshotBody(s: Snap): Uint8Array {
  const w = new ByteWriter().str(s.id).f64(s.generation).f64(s.createdAt).str(s.kind).str(s.branch)
  w.u8(s.label === undefined ? 0 : 1)
  if (s.label !== undefined) w.str(s.label)
  return w.view().slice()
}

function readSnapshotBody(body: Uint8Array): Snap {
  const r = new ByteReader(body)
  const id = r.str()
  const generation = r.f64()
  const createdAt = r.f64()
  const kind = r.str() as Snap['kind']
  const branch = r.str()
  const snap: Snap = { id, root: null, generation, createdAt, kind, branch }
  if (r.u8()) snap.label = r.str()
  return snap
}


function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now()
}
