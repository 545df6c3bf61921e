// Public types of the cowdb API (docs/guide.md describes them for users).

/**
 * A key, in IndexedDB's order: numbers < dates < strings (by UTF-16 code unit) < binary < arrays
 * (element by element). Comes back as the type it was written as. See docs/keys.md.
 */
export type Key = number | Date | string | Uint8Array | Key[]
/** Any structured-cloneable value except `undefined`. */
export type Value = unknown
/** A page's 64-bit id as a safe integer. */
export type PageId = number
/** Opaque, sortable, monotonic id (hybrid logical clock). */
export type SnapshotId = string

/** Reads at head (of `branch`, default main) or at a snapshot. */
export type ReadOptions = { snapshot?: SnapshotId; branch?: string }
/**
 * When a write resolves. 'strict' (default): once it is durable (the WAL flush that covers it).
 * 'relaxed': once it is applied and logged; the flush follows within `relaxedFlushMs`, so a
 * crash (or a failed flush, reported as the `error` event) can lose the writes of that window,
 * never consistency. As SQLite's synchronous=NORMAL or IndexedDB's durability: 'relaxed'.
 */
export type Durability = 'strict' | 'relaxed'
/** Writes go to the head of `branch` (default main), with the database's durability unless given. */
export type WriteOptions = { branch?: string; durability?: Durability }
/** Listings (branches(), snapshots()) leave out cowdb's own heads and snapshots (named `cowdb-...`, e.g. sync's) unless `internal` is true. */
export type ListOptions = { internal?: boolean }
/** diff() stops after `limit` changes (the first ones in key order); no limit by default. */
export type DiffOptions = WriteOptions & { limit?: number }
export type BranchInfo = { name: string; root: PageId; generation: number; history: number; undoable: number; redoable: number }
export type Range = { gt?: Key; gte?: Key; lt?: Key; lte?: Key }
export type ScanOptions = ReadOptions & { limit?: number; reverse?: boolean }
export type Op = { type: 'put'; key: Key; value: Value } | { type: 'delete'; key: Key }
export type Commit = { generation: number; root: PageId }
export type SnapshotInfo = {
  id: SnapshotId
  root: PageId
  generation: number
  createdAt: number
  label?: string
  /** 'named': taken by snapshot(), kept until dropped; 'history': recorded per commit for undo, kept by retention. */
  kind?: 'named' | 'history'
  /** The head it was taken on. */
  branch?: string
}
export type Change = { key: Key; before?: Value; after?: Value }

/** Automatic history snapshots kept for undo/time travel. */
export type Retention = { keepLast?: number; keepFor?: number; keepNamed?: boolean }

/** A tenant (docs/tenants.md): its head as a branch's, plus its own snapshot stream and retention. */
export type TenantInfo = BranchInfo & {
  /** Named snapshots of its stream (history entries are `history`). */
  snapshots: number
  /** The retention it follows: its own, or the database's. */
  retention: Required<Retention>
  /** Whether that retention is its own (set at creation or by setRetention on it). */
  ownRetention: boolean
  /** Bytes of the pages only it reaches (head and snapshots): what dropping it gives back. With `{ space: true }`. */
  bytes?: number
}
/** Where a new tenant starts: a clone of tenant `tenant` at its head now, or at one of its snapshots. */
export type CloneFrom = { tenant: string; snapshot?: SnapshotId }
/** createTenant's options: start empty, or as an O(1) clone (`from`); its own retention (default: the database's). */
export type TenantOptions = { from?: CloneFrom; retention?: Retention }

export type OpenOptions = {
  /** Page size in bytes at create time: 4096 (default), 8192, 16384 (1024/2048 for tests). */
  pageSize?: number
  /** When writes resolve, unless a call says otherwise (see Durability). Default 'strict'. */
  durability?: Durability
  /** With relaxed durability: the longest a resolved write waits for its flush. Default 100 ms. */
  relaxedFlushMs?: number
  /** Bytes the WAL file may keep after a checkpoint (as SQLite's journal_size_limit); it is emptied at close. Default: a quarter of the live pages' bytes, at most 1 MiB (docs/architecture.md, "Checkpoint pacing"). */
  walSizeLimit?: number
  /** Byte budget of the decoded page cache. Default 64 MiB. */
  cacheBytes?: number
  retention?: Retention
  /** Tenants that get their own `tenant` label in metrics(), the largest first; the rest are summed as tenant="__other__". Default 50. */
  tenantLabels?: number
}

export type GcStats = {
  pagesFreed: number
  pagesLive: number
  pagesFree: number
  durationMs: number
}

export type Stats = {
  pageSize: number
  generation: number
  pagesLive: number
  pagesFree: number
  fileBytes: number
  walBytes: number
  /** Size of the WAL file: walBytes, or more when it keeps room from an earlier cycle (up to walSizeLimit after a checkpoint; 0 after close). */
  walFileBytes: number
  snapshots: number
  cacheHits: number
  cacheMisses: number
  pagesCreated: number
  pagesWritten: number
  rootUpdates: number
  [extra: string]: unknown
}

export type VerifyReport = {
  ok: boolean
  pagesChecked: number
  roots: number
  errors: { slot?: number; pageId?: number; root?: string; message: string }[]
}

/** What a transaction() callback gets: reads at the state it began on, writes buffered until it commits. */
export interface Transaction {
  /** The value of `key` at the transaction's start, or its own write. Cost: one read (as Database.get) unless it wrote the key. */
  get(key: Key): Promise<Value | undefined>
  /** Entries in `range` at the start, merged with its own writes. Cost: one scan (as Database.scan) plus sorting the merged entries. */
  scan(range?: Range & { limit?: number; reverse?: boolean }): Promise<[Key, Value][]>
  /** Buffers a put; a bad key or value throws TypeError here. Cost: O(key + value size), no I/O. */
  put(key: Key, value: Value): void
  /** Buffers a delete; a bad key throws TypeError here. Cost: O(key size), no I/O. */
  delete(key: Key): void
}

/** Progress of long work (verify, export, import, gc): done out of total units. */
export type Progress = { phase: string; done: number; total: number }

/**
 * The public Database API (docs/guide.md). `@cowdb/core`'s `Database`, the browser client and the
 * Node `open()` all return this shape. Costs below are the engine's; the browser client's calls
 * add a round trip to its worker, or none for reads its shared page cache answers.
 */
export interface DatabaseApi {
  /** The value of `key` at head (or at `opts.snapshot`). Cost: O(log n) page loads. */
  get(key: Key, opts?: ReadOptions): Promise<Value | undefined>
  /** Values of several keys, from one consistent state. Cost: O(k log n). */
  getMany(keys: Key[], opts?: ReadOptions): Promise<(Value | undefined)[]>
  /** Sets `key` to `value`; resolves when durable (or, with relaxed durability, when logged). Cost: O(log n) + one WAL flush shared by every write of the tick. */
  put(key: Key, value: Value): Promise<Commit>
  /** Deletes `key` (a no-op commit if absent). Cost: O(log n) + one shared WAL flush. */
  delete(key: Key): Promise<Commit>
  /** Applies all `ops` atomically: all or nothing. Cost: O(ops log n), each page copied once. */
  batch(ops: Op[]): Promise<Commit>
  /** Deletes every key in `range`, dropping whole subtrees. Cost: O(log n) pages. */
  deleteRange(range: Range): Promise<Commit>
  /** Entries in `range`, in key order (or reverse), at most `limit` (default 1000). Cost: O(log n + limit) page loads. */
  scan(range?: Range & ScanOptions): Promise<[Key, Value][]>
  /** Streams the entries in `range`, all from the state when iteration began. Cost: O(log n) per chunk plus the entries. */
  iterate(range?: Range & ScanOptions): AsyncIterable<[Key, Value]>
  /** Number of keys in `range`. Cost: O(log n + k). */
  count(range?: Range, opts?: ReadOptions): Promise<number>

  /** Records the current head as a snapshot; no data is copied. Cost: one WAL flush. */
  snapshot(opts?: { label?: string }): Promise<SnapshotInfo>
  /** Every snapshot, oldest first. Cost: O(snapshots). */
  snapshots(): Promise<SnapshotInfo[]>
  /** Forgets a snapshot; a later gc frees the pages only it reached. Cost: one WAL flush. */
  dropSnapshot(id: SnapshotId): Promise<void>
  /** Makes a snapshot's state the head again, as a new commit. Cost: O(1), one WAL flush. */
  restore(id: SnapshotId): Promise<Commit>
  /** The keys that differ between snapshot `from` and `to` (default: head), before and after. Cost: grows with the change (shared subtrees are skipped). */
  diff(from: SnapshotId, to?: SnapshotId, opts?: { limit?: number }): Promise<Change[]>
  /** Moves the head back one commit in its history, as a new commit; null when there is nothing to undo. Cost: O(1), one WAL flush. */
  undo(): Promise<Commit | null>
  /** Moves the head forward again after undo(); null when there is nothing to redo. Cost: O(1), one WAL flush. */
  redo(): Promise<Commit | null>

  /** Runs `fn` as an optimistic transaction, again on conflict (up to `retries`), then ConflictError. Cost: per attempt, one pinned read per tx.get/scan and one commit. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>, opts?: { retries?: number }): Promise<T>

  /** Frees every slot no root reaches, then checkpoints and gives the file's free tail back. Cost: O(live pages) reads. */
  gc(): Promise<GcStats>
  /** Counters and sizes. Cost: O(snapshots). */
  stats(): Promise<Stats>
  /** Prometheus text exposition of the engine's metrics. Cost: O(snapshots). */
  metrics(): Promise<string>
  /** Re-reads and checks every page reachable from every root. Cost: O(reachable pages) reads. */
  verify(): Promise<VerifyReport>
  /** A backup of the head or of snapshot `snapshot`; with `since`, of only the changes from it. Cost: O(entries) full; O(changed pages) incremental. */
  exportBackup(opts?: { snapshot?: SnapshotId; since?: SnapshotId }): Promise<Uint8Array>
  /** Checkpoints, then closes the files; later calls reject with ClosedError. Cost: one checkpoint. */
  close(): Promise<void>
}
