// The public Database: argument checks, the contract of each call (what it does, what it costs),
// and the wiring of the parts that do the work:
//
//   catalog.ts     every root kept alive: heads, branches, history, snapshots, readers' pins
//   commit.ts      what one logged record does to that state (live and in recovery alike)
//   writer.ts      the writers' line, group commit, the durability point (the WAL flush)
//   checkpoint.ts  writes pages out and saves the Meta (the atomic root switch)
//   space.ts       which slots are free: the cheap path, paced gc, compaction, the audit
//
// A write: validate and encode here -> writer.commit (in turn) -> applier.ops -> WAL append ->
// group flush (durable) -> resolve, history, events -> later a checkpoint. Recovery: load the
// Meta, replay the WAL records after its lsn through the same applier.

import { Tree, countRange, lookup, walk, type StoredValue } from './btree.js'
import { exportBackupOf, importBackupOf, type ExportOptions } from './backup.js'
import { Catalog, snapshotInfo } from './catalog.js'
import { verifyRoots, type NamedRoot } from './check.js'
import { Checkpointer } from './checkpoint.js'
import { Applier } from './commit.js'
import { storedEqual } from './diff.js'
import { DatabaseCatalogEvent, DatabaseCloseEvent, DatabaseErrorEvent } from './events.js'
import type { Failpoints } from './failpoints.js'
import { ClosedError, ConflictError } from './errors.js'
import { MAIN, branchOf, internalOf, validBranchName } from './heads.js'
import { retentionOf, setRetentionOf } from './retention.js'
import { pageTree, type PageInfo } from './inspect.js'
import { decodeKey, encodeKey, encodeRange } from './keys.js'
import { engineMetrics, renderPrometheus } from './metrics.js'
import { loadMeta } from './migrate.js'
import { Layout } from './node.js'
import { encodeOps, encodeRangeOp, type EncodedOp } from './ops.js'
import { Pager } from './pager.js'
import { RecordType, catalogChange, decodeRecord } from './records.js'
import { Space, type CompactReport, type SpaceReport } from './space.js'
import type { Meta, Storage } from './store.js'
import { decodeStored, decodedChanges } from './stored.js'
import { Subscriptions, type ChangeListener } from './subscriptions.js'
import { CommitLog, type TxPlan } from './tx.js'
import { iterateChunks, runTransaction, type Reader } from './tx-runner.js'
import type { BranchInfo, Change, Commit, DatabaseApi, DiffOptions, Durability, GcStats, Key, ListOptions, Op, Progress, Range, ReadOptions,
  Retention, ScanOptions, SnapshotId, SnapshotInfo, Stats, TenantInfo, TenantOptions, Transaction, Value, VerifyReport, WriteOptions } from './types.js'
import { BranchView } from './branch-view.js'
import { TENANT_LABELS, Tenants } from './tenants.js'
import { TenantView } from './tenant-view.js'
import { encodeValue } from './values.js'
import { Wal } from './wal.js'
import { Writer, type CommitResult } from './writer.js'
import { DEFAULT_CACHE_BYTES, scanOptions, timing, validateOptions, durabilityOf, type DatabaseOptions } from './options.js'

export class Database extends EventTarget implements DatabaseApi {
  private readonly pager: Pager
  private readonly tree: Tree
  private readonly wal: Wal
  private readonly catalog: Catalog
  private readonly applier: Applier
  private readonly checkpointer: Checkpointer
  private readonly writer: Writer
  private readonly space_: Space
  private readonly tenants_: Tenants
  private readonly commitLog = new CommitLog()
  private readonly subs = new Subscriptions(
    (e) => console.error('cowdb: a subscribe() listener threw', e),
    (e) => this.deliveryFailed(e),
  )
  /** Whether two stored values are equal (reads overflow chains only when they differ). */
  private readonly sameValue: (a: StoredValue, b: StoredValue) => boolean
  private closed = false
  private recovery = { records: 0, tornTail: false }
  /** Subscriber events that could not be read back for delivery. */
  private deliveryErrors = 0
  private readonly failpoints: Failpoints | undefined
  private readonly durability: Durability

  private constructor(
    private readonly storage: Storage,
    meta: Meta,
    opts: DatabaseOptions,
  ) {
    super()
    this.failpoints = opts.failpoints
    this.durability = durabilityOf(opts, 'strict')
    const check = () => this.check()
    const isClosed = () => this.closed
    const times = timing(opts)
    this.pager = new Pager(storage.pages, new Layout(meta.pageSize), opts.cacheBytes ?? DEFAULT_CACHE_BYTES)
    this.pager.slotCount = meta.slotCount
    this.pager.nextId = meta.nextPageId
    this.pager.loadFreeRuns(meta.free)
    this.tree = new Tree(this.pager)
    this.wal = new Wal(storage.wal)
    this.sameValue = storedEqual((o) => this.pager.readChain(o, o.length))
    this.catalog = new Catalog(this.tree, meta, opts.retention, opts.now ?? Date.now)
    this.applier = new Applier(this.tree, this.catalog, this.subs, this.commitLog, this.sameValue, opts.failpoints)
    this.checkpointer = new Checkpointer(storage, this.pager, this.wal, this.catalog, meta, () => this.space_.pacing.walKeepBytes(), opts.failpoints)
    this.writer = new Writer(this.tree, this.wal, this.catalog, this.applier, this.checkpointer, this.subs, this.commitLog, times, check, isClosed)
    this.space_ = new Space(this.tree, this.pager, this.wal, this.catalog, this.writer, this.checkpointer, times, check, isClosed)
    this.tenants_ = new Tenants({ catalog: this.catalog, tree: this.tree, writer: this.writer, pageSize: () => this.pager.pageSize, labels: opts.tenantLabels ?? TENANT_LABELS, check })
    // The only edges that run back up, each a named hook:
    this.tree.onCopy = (old) => this.space_.copiedAway(old)
    this.catalog.onDropped = (schedule) => this.space_.wanted(schedule)
    this.catalog.onChanged = () => this.checkpointer.markChanged()
    this.checkpointer.onCheckpointed = (dead) => this.space_.afterCheckpoint(dead)
    this.catalog.onFreed = (slots) => slots.forEach((s) => this.checkpointer.freeAtNext(s))
    this.writer.gate = this.space_
    this.writer.onError = (e) => this.dispatchEvent(new DatabaseErrorEvent(e))
    this.writer.onLogged = (r) => this.dispatchEvent(new DatabaseCatalogEvent(catalogChange(r)))
    if (this.catalog.streams.retentionChangedAtOpen) this.checkpointer.markChanged()
  }

  /**
   * Opens (or creates) a database on `storage` and runs recovery: the WAL records after the last
   * checkpoint are replayed before the promise resolves. Cost: O(WAL bytes).
   */
  static async open(storage: Storage, opts: DatabaseOptions = {}): Promise<Database> {
    validateOptions(opts)
    const meta = await loadMeta(storage, { pageSize: opts.pageSize, cacheBytes: opts.cacheBytes ?? DEFAULT_CACHE_BYTES, now: opts.now })
    const db = new Database(storage, meta, opts)
    db.replay()
    db.catalog.expireAllNamed() // a retention given at open applies to the snapshots already there
    return db
  }

  // ---- reads ----------------------------------------------------------------------------------

  /** The value of `key` at head (or at `opts.snapshot`). Cost: O(log n) page loads. */
  async get(key: Key, opts?: ReadOptions): Promise<Value | undefined> {
    this.check()
    const root = this.catalog.rootFor(opts)
    const v = lookup(this.tree, root, encodeKey(key))
    return v === undefined ? undefined : this.decode(v)
  }

  /** Values of several keys, from one consistent state. Cost: O(k log n). */
  async getMany(keys: Key[], opts?: ReadOptions): Promise<(Value | undefined)[]> {
    this.check()
    if (!Array.isArray(keys)) throw new TypeError('cowdb: getMany takes an array of keys')
    const root = this.catalog.rootFor(opts)
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
    const out: [Key, Value][] = []
    if (limit <= 0) return out
    walk(this.tree, this.catalog.rootFor(range), encodeRange(range), reverse, (k, v) => {
      out.push([decodeKey(k), this.decode(v)])
      return out.length < limit
    })
    return out
  }

  /**
   * Streams the entries in `range` in chunks, all from the state when iteration began (the
   * pages it needs stay alive until the loop ends). Cost: O(log n) per chunk plus the entries.
   */
  iterate(range: Range & ScanOptions = {}): AsyncGenerator<[Key, Value]> {
    return iterateChunks(this, range)
  }

  /** Number of keys in `range`. Cost: O(log n + k). */
  async count(range: Range = {}, opts?: ReadOptions): Promise<number> {
    this.check()
    return countRange(this.tree, this.catalog.rootFor(opts ?? (range as ReadOptions)), encodeRange(range))
  }

  // ---- writes ---------------------------------------------------------------------------------

  /**
   * Sets `key` to `value`; resolves when durable (or, with `durability: 'relaxed'`, when logged).
   * Cost: O(log n) + one WAL flush shared by every write of the tick.
   */
  put(key: Key, value: Value, opts?: WriteOptions): Promise<Commit> {
    return this.commitOps(() => [{ type: 'put', key: encodeKey(key), value: encodeValue(value) }], opts)
  }

  /** Deletes `key` (a no-op commit if absent). Cost: O(log n) + one shared WAL flush. */
  delete(key: Key, opts?: WriteOptions): Promise<Commit> {
    return this.commitOps(() => [{ type: 'delete', key: encodeKey(key) }], opts)
  }

  /** Applies all `ops` atomically: all or nothing. Cost: O(ops log n), each page copied once. */
  batch(ops: Op[], opts?: WriteOptions): Promise<Commit> {
    return this.commitOps(() => encodeOps(ops), opts)
  }

  /** Deletes every key in `range`, dropping whole subtrees. Cost: O(log n) pages. */
  deleteRange(range: Range, opts?: WriteOptions): Promise<Commit> {
    // the subtrees it drops are never visited, so their pages wait for a (background) gc
    return this.commitOps(() => [encodeRangeOp(range)], opts).then((c) => (this.space_.wanted(true), c))
  }

  private async commitOps(encode: () => EncodedOp[], opts?: WriteOptions, validate?: () => void, snapshot?: { label?: string }): Promise<CommitResult> {
    this.check()
    const branch = branchOf(opts)
    const relaxed = durabilityOf(opts, this.durability) === 'relaxed'
    this.failpoints?.hit('encodeValue')
    const ops = encode() // throws TypeError before anything changes
    return this.writer.commit(branch, ops, validate, snapshot, relaxed)
  }

  // ---- transactions ---------------------------------------------------------------------------

  /**
   * Runs `fn` as an optimistic transaction: its reads see the state it began on (and its own
   * writes), its writes are buffered and commit atomically. If a commit since the start wrote
   * a key it read or into a range it scanned, `fn` runs again (up to `retries`, default 3), then
   * ConflictError. Awaiting anything inside `fn` is fine. Blind writes never conflict.
   * Cost: per attempt, one pinned read per tx.get/scan and one commit.
   */
  async transaction<T>(fn: (tx: Transaction) => Promise<T>, opts: { retries?: number } & WriteOptions = {}): Promise<T> {
    this.check()
    return runTransaction(this, fn, opts)
  }

  /**
   * Validates a transaction's reads against the commits since it began and applies its writes
   * atomically, or throws ConflictError. Cost: a lookup per read and per write, one WAL flush.
   */
  commitPlan(plan: TxPlan, opts?: WriteOptions): Promise<Commit> {
    const branch = branchOf(opts)
    return this.commitOps(() => plan.ops, opts, () => {
      if (this.commitLog.conflicts(plan, this.catalog.generation, branch)) throw new ConflictError('cowdb: transaction conflict: a key it read (or a range it scanned) was written since it began')
    })
  }

  /**
   * Pins the current head (or snapshot `opts.snapshot`) for a sequence of reads (`{ reader }` in
   * read options); its pages stay alive until closeReader(). Close it when done. Cost: O(1).
   */
  openReader(opts?: WriteOptions & { snapshot?: SnapshotId }): Reader {
    this.check()
    const r = this.catalog.pin({ snapshot: opts?.snapshot, branch: branchOf(opts) })
    return { reader: r.id, generation: this.catalog.generation }
  }

  /** Ends a reader from openReader(); its pages may be freed afterwards. Cost: O(1). */
  closeReader(reader: number): void {
    this.catalog.unpin(reader)
  }

  // ---- diff and change notifications ------------------------------------------------------------

  /**
   * The keys that differ between snapshot `from` and `to` (default: head), before and after, in key
   * order; with `limit`, the first that many. Cost: grows with the change (shared subtrees are skipped).
   */
  async diff(from: SnapshotId, to?: SnapshotId, opts?: DiffOptions): Promise<Change[]> {
    const { limit } = scanOptions(opts ?? {}, Infinity), out: Change[] = []
    for await (const c of this.diffIterate(from, to, opts)) if (out.push(c) >= limit) break
    return limit === 0 ? [] : out
  }

  /** diff() as a stream, holding both states' pages until it ends. Cost: as diff(), per change. */
  async *diffIterate(from: SnapshotId, to?: SnapshotId, opts?: WriteOptions): AsyncGenerator<Change> {
    this.check()
    const branch = branchOf(opts) // snapshots only this head may see (a tenant's own)
    const a = this.catalog.pin({ snapshot: from, branch })
    const b = this.catalog.pin(to === undefined || to === null ? { branch } : { snapshot: to, branch })
    try {
      yield* decodedChanges(this.tree, a.root, b.root, this.sameValue, () => this.check())
    } finally {
      this.catalog.unpin(a.id)
      this.catalog.unpin(b.id)
    }
  }

  /**
   * Calls `listener` with each durable commit's changes to keys in `range` of a head (default
   * main), in commit order, from the next commit on: puts, deletes, deleteRange, transactions,
   * restore, undo and redo alike, each change with its value before and after. Listeners run in
   * a microtask after the commit's promise resolves; one that throws is reported and stays.
   * Cost: O(1) to subscribe; to writers, one lookup per subscribed key a commit touches (a range delete walks its
   * range); keys outside every subscribed range cost a range check.
   * Resolves to the function that ends the subscription.
   */
  async subscribe(range: Range & WriteOptions, listener: ChangeListener): Promise<() => void> {
    this.check()
    if (typeof listener !== 'function') throw new TypeError('cowdb: subscribe() takes a range and a listener function')
    const branch = branchOf(range)
    this.catalog.headOf(branch)
    const { branch: _, ...keys } = range
    return this.subs.add(branch, encodeRange(keys), listener, this.catalog.generation)
  }

  // ---- backups --------------------------------------------------------------------------------

  /**
   * A backup (see backup.ts) of snapshot `snapshot`, or of the head; with `since`, of only the
   * changes from snapshot `since` to it. Exporting the head leaves no snapshot behind unless
   * `keepSnapshot` (then a snapshot labelled 'backup' marks what was exported: the `since` of the
   * next incremental backup). The store is not blocked meanwhile: both states are pinned, and
   * the walk yields to other work every 8,192 entries. A failed export leaves nothing behind.
   * Cost: O(entries) full; O(changed pages) incremental.
   */
  async exportBackup(opts: ExportOptions & WriteOptions = {}): Promise<Uint8Array> {
    this.check()
    const source = { catalog: this.catalog, tree: this.tree, sameValue: this.sameValue, check: () => this.check() }
    return exportBackupOf(source, opts, {
      snapshot: (label, branch) => this.snapshot({ label, branch }),
      drop: (id) => (this.closed ? Promise.resolve() : this.dropSnapshot(id, { branch: opts.branch })),
    })
  }

  /**
   * Loads a backup as one atomic commit on the head: a full backup replaces the head's contents,
   * an incremental one applies its changes and needs its base imported here before. A snapshot
   * labelled 'backup:<id of the backup's snapshot>', taken in the same commit, marks the state:
   * the base for the next incremental import. A damaged backup is rejected (CorruptionError)
   * before anything changes. With `tenant`, the head is a tenant, created (empty) if missing and
   * dropped again if the import fails. Cost: O(entries) to read, then one commit of that many ops.
   */
  async importBackup(bytes: Uint8Array, opts: { onProgress?: (p: Progress) => void; tenant?: boolean } & WriteOptions = {}): Promise<SnapshotInfo> {
    this.check()
    return importBackupOf(this.catalog, bytes, opts, (ops, branch, label) => this.tenants_.into(opts.tenant ? branch : undefined, () => this.commitOps(() => ops, { branch }, undefined, { label })))
  }

  // ---- snapshots, history, branches -------------------------------------------------------------

  /** Records the current head as a snapshot. O(1): no data is copied. Cost: one WAL flush. */
  async snapshot(opts: { label?: string } & WriteOptions = {}): Promise<SnapshotInfo> {
    this.check()
    if (opts === null || typeof opts !== 'object') throw new TypeError('cowdb: snapshot() takes { label?, branch? }')
    if (opts.label !== undefined && typeof opts.label !== 'string') throw new TypeError('cowdb: snapshot label must be a string')
    const branch = branchOf(opts)
    return this.writer.logged(
      () => this.catalog.headOf(branch),
      () => {
        const snap = this.catalog.newSnapshot(opts.label, branch)
        this.writer.durablyLog({ type: RecordType.Snapshot, snap }, () => this.catalog.addSnapshot(snap))
        return snapshotInfo(snap)
      },
    )
  }

  /** Every snapshot, oldest first (a tenant's only with `{ branch }` naming it; cowdb's own, named `cowdb-...`, only with `{ internal: true }`); with `branch`, that head's only. Cost: O(snapshots). */
  async snapshots(opts?: WriteOptions & ListOptions): Promise<SnapshotInfo[]> {
    this.check()
    return this.catalog.snapshotInfos(opts?.branch === undefined ? undefined : branchOf(opts), internalOf(opts))
  }

  /** Forgets a snapshot (a tenant's: with `{ branch }` naming it); its pages are freed by a later gc unless something else reaches them. Cost: one WAL flush. */
  async dropSnapshot(id: SnapshotId, opts?: WriteOptions): Promise<void> {
    return this.writer.logged(
      () => this.catalog.snapFor(id, branchOf(opts)),
      () => this.writer.durablyLog({ type: RecordType.DropSnapshot, id }, () => this.catalog.removeSnapshot(id)),
    )
  }

  /** Makes a snapshot's state the head again, as a new commit (so it can itself be undone). Cost: O(1), one WAL flush. */
  async restore(id: SnapshotId, opts?: WriteOptions): Promise<Commit> {
    const branch = branchOf(opts)
    return this.writer.logged(
      () => this.catalog.snapFor(id, branch) && this.catalog.headOf(branch),
      () => {
        const events = this.applier.switchEvents(branch, this.catalog.snapFor(id).root)
        const stamp = this.catalog.stampFor(branch)
        this.writer.durablyLog({ type: RecordType.Restore, stamp, id }, () => this.applier.restore(stamp, id, events))
        return this.catalog.commitInfo(branch)
      },
    )
  }

  /**
   * Moves the head back one commit in its history, as a new commit: durable, and itself undone by
   * redo(). Null when there is nothing to undo (history off, or at its oldest kept entry).
   * History is on when retention has keepLast or keepFor. Cost: O(1), no page is copied; one WAL flush.
   */
  async undo(opts?: WriteOptions): Promise<Commit | null> {
    return this.moveInHistory(-1, opts)
  }

  /** Moves the head forward again after undo(), as a new commit. Null when there is nothing to redo. Cost: O(1), no page is copied; one WAL flush. */
  async redo(opts?: WriteOptions): Promise<Commit | null> {
    return this.moveInHistory(1, opts)
  }

  private async moveInHistory(step: -1 | 1, opts?: WriteOptions): Promise<Commit | null> {
    const branch = branchOf(opts)
    return this.writer.logged(
      () => this.catalog.headOf(branch),
      () => {
        const head = this.catalog.headOf(branch)
        const target = head.history[head.cursor + step]
        if (head.cursor < 0 || target === undefined) return null
        const events = this.applier.switchEvents(branch, this.catalog.snapFor(target).root)
        this.writer.durablyLog({ type: RecordType.Move, branch, id: target }, () => this.applier.move(branch, target, events))
        return this.catalog.commitInfo(branch)
      },
    )
  }

  /** Changes the retention of automatic history: the database's, or with `{ branch }` that head's own (retention.ts). Turning history off drops the history kept. Cost: one WAL flush. */
  async setRetention(retention: Retention, opts?: WriteOptions): Promise<void> {
    this.check()
    return setRetentionOf(this.catalog, this.writer, retention, opts)
  }

  /** The retention in force: the database's, or the one `opts.branch` follows. Cost: O(1). */
  async getRetention(opts?: WriteOptions): Promise<Required<Retention>> {
    this.check()
    return retentionOf(this.catalog, opts)
  }

  /**
   * Makes a new named head at main's head, or at snapshot `from`. Cost: O(1), no page is copied; the
   * branch shares every page with its origin until one of them writes. Every read and write
   * takes `{ branch }`; `onBranch(name)` gives a handle that passes it for you.
   */
  async branch(name: string, opts: { from?: SnapshotId } = {}): Promise<BranchInfo> {
    validBranchName(name)
    if (opts === null || typeof opts !== 'object') throw new TypeError('cowdb: branch() takes { from? }')
    return this.writer.logged(
      () => {
        if (!this.catalog.nameFree(name)) throw new TypeError(`cowdb: branch ${JSON.stringify(name)} exists`)
        if (opts.from !== undefined) this.catalog.snapFor(opts.from, MAIN) // not a tenant's
      },
      () => {
        const from = opts.from ?? ''
        this.writer.durablyLog({ type: RecordType.Branch, name, from }, () => this.catalog.addBranch(name, from))
        return this.catalog.branchInfo(this.catalog.headOf(name))
      },
    )
  }

  /** Every head: main first, then branches by name (cowdb's own, named `cowdb-...`, only with `{ internal: true }`). Cost: O(heads). */
  async branches(opts?: ListOptions): Promise<BranchInfo[]> {
    this.check()
    return this.catalog.branchInfos(internalOf(opts))
  }

  /** Removes a branch and its history (not main). Cost: O(1); the next gc frees its pages. */
  async dropBranch(name: string): Promise<void> {
    validBranchName(name)
    if (name === MAIN) throw new TypeError('cowdb: the main head cannot be dropped')
    return this.writer.logged(
      () => this.catalog.headOfKind(name, false),
      () => this.writer.durablyLog({ type: RecordType.DropBranch, name }, () => this.catalog.dropBranch(name)),
    )
  }

  /** A handle on one branch: the Database API with `{ branch: name }` filled in. Cost: O(1). */
  onBranch(name: string): BranchView {
    return new BranchView(this, validBranchName(name))
  }

  // ---- tenants (tenants.ts): isolated heads, each with its own snapshot stream and retention --

  /** A new tenant, empty or an O(1) clone of another tenant's head or snapshot (see Tenants.create). Cost: one WAL flush. */
  async createTenant(name: string, opts?: TenantOptions): Promise<TenantInfo> {
    return this.tenants_.create(name, opts)
  }
  /** Drops a tenant and every snapshot of it; pages only it reached come back by a background gc. Cost: one WAL flush. */
  async dropTenant(name: string): Promise<void> {
    return this.tenants_.drop(name)
  }
  /** Every tenant by name; with `{ space: true }`, the bytes only each one holds. Cost: O(snapshots); with space O(live pages). */
  async tenants(opts?: { space?: boolean }): Promise<TenantInfo[]> {
    return this.tenants_.list(opts)
  }
  /** A handle on one tenant: the API scoped to it, its own snapshots, retention, backups, clone and drop. Cost: none. */
  tenant(name: string): TenantView {
    return new TenantView(this, name)
  }

  // ---- checkpoint and space ---------------------------------------------------------------------

  /**
   * Writes every page that only memory holds to free slots, flushes, and saves the Meta (the
   * atomic root switch); then the WAL restarts. Commits wait meanwhile; reads do not.
   * Cost: O(new pages) writes, one pages flush, one Meta save.
   */
  async checkpoint(): Promise<void> {
    this.check()
    return this.writer.checkpoint()
  }

  /**
   * Frees every slot that no root reaches: head, snapshots, open readers and the last durable
   * Meta's roots. Then checkpoints and gives free space at the end of the file back.
   * Cost: O(live pages) reads.
   */
  async gc(): Promise<GcStats> {
    this.check()
    return this.space_.gc(true)
  }

  /** Shrinks the pages file toward its live size (see Space.compact). Cost: O(live pages) per pass. */
  async compact(): Promise<CompactReport> {
    this.check()
    return this.space_.compact()
  }

  /**
   * Where the pages file's slots are: reachable from a live root (heads, snapshots, history,
   * readers, the durable Meta), free, waiting to be freed at the next checkpoint, or none of
   * these (leaked: only a gc() finds them), and reachable slots wrongly on the free list.
   * After gc() both `leaked` and `reachableButFree` are 0. Cost: O(live pages) reads.
   */
  async space(): Promise<SpaceReport> {
    this.check()
    return this.space_.audit()
  }

  // ---- checks and numbers ---------------------------------------------------------------------

  /** Re-reads and checks every page reachable from every root. Cost: O(reachable pages) reads. */
  async verify(opts: { onProgress?: (p: Progress) => void } = {}): Promise<VerifyReport> {
    this.check()
    const roots: NamedRoot[] = [...this.catalog.headList()].map((h) => ({ name: h.name === MAIN ? 'head' : `branch ${h.name}`, root: h.root }))
    for (const s of this.catalog.snapList()) roots.push({ name: `snapshot ${s.id}`, root: s.root })
    return verifyRoots(this.pager, roots, this.pager.freeSlots(), (done, total) => opts.onProgress?.({ phase: 'verify', done, total }))
  }

  /**
   * The pages a head or snapshot reaches, level by level (ids, slots, generations, first and last
   * keys), at most `maxPages` (default 300), as the playground draws it. Cost: maxPages page reads.
   */
  async inspect(opts: ReadOptions & { maxPages?: number } = {}): Promise<PageInfo | null> {
    this.check()
    const maxPages = opts.maxPages ?? 300
    if (!Number.isInteger(maxPages) || maxPages < 1) throw new TypeError(`cowdb: maxPages must be an integer >= 1, got ${maxPages}`)
    return pageTree(this.tree, this.catalog.rootFor(opts), maxPages)
  }

  /** Counters and sizes. Cost: O(snapshots). */
  async stats(): Promise<Stats> {
    this.check()
    return {
      ...this.pager.stats(), ...this.catalog.stats(), ...this.checkpointer.stats(), ...this.space_.stats(),
      fileBytes: this.storage.pages.size(), walBytes: this.wal.offset, walFileBytes: this.wal.file.size(), rootUpdates: this.applier.rootUpdates, commits: this.applier.commits,
      backgroundErrors: this.writer.backgroundErrors + this.space_.backgroundErrors + this.deliveryErrors,
      recoveredRecords: this.recovery.records, recoveredTornTail: this.recovery.tornTail,
    }
  }

  /** Prometheus text exposition of the engine's metrics. Cost: O(snapshots). */
  async metrics(): Promise<string> {
    const histograms = { gc: this.space_.gcDuration, commit: this.writer.commitLatency, checkpoint: this.checkpointer.duration }
    return renderPrometheus([...engineMetrics(await this.stats(), this.catalog.newestSnapshotTime(), histograms), ...this.tenants_.metrics()])
  }

  /** Checkpoints, then closes the files. Later calls reject with ClosedError. Cost: one checkpoint. */
  async close(): Promise<void> {
    if (this.closed) return
    return this.writer.inTurn(() => this.closeNow(), { flushFirst: true })
  }

  private async closeNow(): Promise<void> {
    if (this.closed) return
    try {
      if (this.checkpointer.needed) await this.checkpoint()
      this.wal.empty() // everything is in the pages file now: the log file goes back to nothing
    } finally {
      this.closed = true
      this.writer.stopTimers()
      this.space_.stopTimers()
      this.storage.pages.close()
      this.storage.wal.close()
      await this.storage.meta.close()
      await this.storage.release?.()
      this.dispatchEvent(new DatabaseCloseEvent())
    }
  }

  /** A subscriber event could not be read back: the commit stands; the failure is counted and surfaced. */
  private deliveryFailed(e: unknown): void {
    this.deliveryErrors++
    this.dispatchEvent(new DatabaseErrorEvent(e instanceof Error ? e : new Error(String(e))))
  }

  // ---- recovery -------------------------------------------------------------------------------

  private replay(): void {
    const durable = this.checkpointer.durable
    const result = this.wal.replay(durable.lsn, durable.walSalt ?? 0, (type, body) => this.applier.apply(decodeRecord(type, body)))
    this.recovery = { records: result.records, tornTail: result.tornTail }
    for (const s of this.catalog.snapList()) this.catalog.hlc.observe(s.id)
    this.tree.freeze()
    this.writer.markFlushed()
  }

  private check(): void {
    if (this.closed) throw new ClosedError('cowdb: the database is closed')
  }

  private decode(v: StoredValue): Value {
    return decodeStored(this.pager, v)
  }
}

