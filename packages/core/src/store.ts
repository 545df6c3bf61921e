// The storage interfaces the engine runs on. The engine does synchronous page and WAL I/O
// (OPFS sync access handles and Node's fs sync calls are both synchronous) and async I/O only
// for the snapshot table (IndexedDB in the browser).

/**
 * A random-access file, synchronous. OPFS `FileSystemSyncAccessHandle`, a Node file
 * descriptor, or memory. Writes are durable only after `flush()` returns. The engine calls it from
 * one thread, never two calls at once; the costs below are what it assumes of an implementation.
 */
export interface BlockFile {
  /**
   * Reads up to `into.length` bytes at `offset`; returns how many were read (short only at EOF).
   * The engine reads one page (pageSize bytes) per cache miss, and the whole WAL once at open.
   * Cost: O(bytes), one system call, no waiting on other work.
   */
  read(offset: number, into: Uint8Array): number
  /**
   * Writes all of `data` at `offset`, growing the file if needed (a gap reads as zeros). Need not
   * be durable before flush(). The engine writes runs of pages at a checkpoint and one batch of
   * records per group commit to the WAL. Cost: O(bytes), no sync.
   */
  write(offset: number, data: Uint8Array): void
  /**
   * Makes every write so far durable: the durability point. A strict commit resolves after the
   * WAL's flush returns; the Meta is saved only after the pages file's flush returns. It throws if
   * it cannot (the engine then rolls back what it had not flushed, or stops writes until
   * reopened). Cost: one sync (fsync, OPFS flush()), once per group commit on the WAL and once
   * per checkpoint on the pages file.
   */
  flush(): void
  /** Current size in bytes, including writes not yet flushed. Cost: O(1). */
  size(): number
  /**
   * Sets the size: shrinks, or extends with zeros. Durable after the next flush(). The engine cuts
   * the WAL back after a failed flush and at a new cycle, and gives the pages file's free tail
   * back after a gc. Cost: O(1) I/O, no sync.
   */
  truncate(size: number): void
  /** Releases the file; the engine calls nothing on it afterwards. Called once, at close. Cost: O(1). */
  close(): void
}

/** Where a tree's root is: slot in the pages file and the page id found there. */
export type RootRef = { slot: number; id: number } | null

/** One named head (the main line or a branch). */
export type HeadRecord = {
  name: string
  root: RootRef
  generation: number
  /** The history entry (snapshot id) the head is at after an undo; absent: the newest. */
  cursor?: string
}

/** One row of the snapshot table. `kind`: named (by the user), history (automatic, for undo). */
export type SnapshotRecord = {
  id: string
  root: RootRef
  generation: number
  createdAt: number
  label?: string
  kind: 'named' | 'history'
  branch: string
}

/**
 * The on-disk format this code writes (pages, WAL records, keys, values, the Meta). A store of an
 * earlier format is migrated when it opens; a later one is refused. See docs/format.md.
 */
export const FORMAT_VERSION = 2

/**
 * The durable state the engine needs to open: everything but the pages themselves.
 * Written as a whole, atomically (the root switch of the seed).
 */
export type Meta = {
  /** The on-disk format (docs/format.md): FORMAT_VERSION; 1 is migrated on open. */
  version: 1 | 2
  pageSize: number
  /** Highest generation (commit number) checkpointed. */
  generation: number
  /** Next page id to hand out (ids are never reused). */
  nextPageId: number
  /** WAL position covered by this checkpoint: records with lsn >= this are replayed. */
  lsn: number
  /** Number of slots in the pages file that are in use or free (file size / pageSize). */
  slotCount: number
  /** Free slots as [start, length] runs, flattened. */
  free: number[]
  heads: HeadRecord[]
  snapshots: SnapshotRecord[]
  /** Seeds the checksum chain of the WAL cycle that starts at `lsn` (new at every checkpoint). */
  walSalt?: number
  /** Last hybrid-logical-clock id issued, so ids stay monotonic across restarts. */
  hlc: string
  /** Free-form extra state for later features (retention, etc.). */
  extra?: Record<string, unknown>
}

/**
 * The snapshot table: in IndexedDB in the browser, a double-buffered file in Node, memory in
 * tests. `save` is atomic (all or nothing) and durable when its promise resolves. The costs below
 * are what the engine assumes of an implementation.
 */
export interface MetaStore {
  /**
   * The last Meta saved whole, or undefined for a new store. Called once, at open. Cost: one
   * read of the table.
   */
  load(): Promise<Meta | undefined>
  /**
   * Replaces the Meta, atomically: a crash at any point leaves the old one or the new one whole,
   * never a mix. Resolves once the new one is durable (the checkpoint's root switch); rejects if
   * not. Cost: one durable write of O(Meta size), once per checkpoint.
   */
  save(meta: Meta): Promise<void>
  /** Releases the table; the engine calls nothing on it afterwards. Cost: O(1). */
  close(): Promise<void>
  /**
   * Whether a save that failed may still have reached storage (a file write whose fsync failed).
   * Then the engine saves the previous Meta again after a failure. IndexedDB: false (a failed
   * transaction leaves nothing).
   */
  readonly failedSaveMayPersist?: boolean
}

/** What a Database is opened on. */
export type Storage = {
  pages: BlockFile
  wal: BlockFile
  meta: MetaStore
  /** Called once when the database closes (release locks, close handles). */
  release?: () => Promise<void> | void
}
