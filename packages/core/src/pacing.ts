// When a checkpoint is due, by the store's size. A busy store's pages file holds the last
// durable tree and every page the next checkpoint writes (the old versions are freed only once
// the new Meta is durable), so the pages written per checkpoint are what the file carries
// beyond the live pages; the WAL file comes on top. A fixed 8 MiB of WAL, as before, let a
// store of 10,000 keys (1.4 MB) rewrite its whole tree at every checkpoint: the soak's
// directory at 3.2x a fresh store, a small store's at 6.9x. Paced here: a checkpoint once the
// unwritten pages reach an eighth of the live ones, or the WAL a quarter of their bytes (each at
// least a floor, so a small store does not checkpoint at every commit); the WAL file keeps no
// more than a quarter of the live pages' bytes after a checkpoint. Measured in
// docs/benchmarks.md ("Soak").

import type { Pager } from './pager.js'
import type { Wal } from './wal.js'
import { WAL_SIZE_LIMIT } from './options.js'

/** The adaptive WAL threshold never goes below this (a checkpoint costs a Meta save). */
const WAL_MIN_BYTES = 256 * 1024
/** Nor does the number of unwritten pages that calls for a checkpoint. */
const DIRTY_MIN_PAGES = 64
/** A checkpoint is due once the unwritten pages reach this share of the live ones. */
const DIRTY_SHARE = 1 / 8

export type PacingOptions = { adaptiveCheckpoints: boolean; walCheckpointBytes: number; walSizeLimit: number | undefined }

export class Pacing {
  /** Pages created, and pages only in memory that died, since the last checkpoint. */
  private createdAtCheckpoint: number
  private diedInMemory = 0

  constructor(
    private readonly pager: Pager,
    private readonly wal: Wal,
    private readonly opts: PacingOptions,
  ) {
    this.createdAtCheckpoint = pager.counters.pagesCreated
  }

  /** A node only in memory was copied away and nothing retained reaches it: it will never be written. */
  diedUnwritten(): void {
    this.diedInMemory++
  }

  /** A checkpoint wrote everything: the count starts again. */
  checkpointed(): void {
    this.createdAtCheckpoint = this.pager.counters.pagesCreated
    this.diedInMemory = 0
  }

  /**
   * Whether a checkpoint is due before the WAL reaches its fixed maximum (never, with a fixed
   * walCheckpointBytes). Pages created since the last checkpoint, less those that died in
   * memory, count the pages it will write (a little over: merges drop nodes too). Cost: O(1).
   */
  due(): boolean {
    if (!this.opts.adaptiveCheckpoints) return false
    if (this.wal.offset >= this.walThreshold()) return true
    const unwritten = this.pager.counters.pagesCreated - this.createdAtCheckpoint - this.diedInMemory
    return unwritten >= Math.max(DIRTY_MIN_PAGES, this.livePages() * DIRTY_SHARE)
  }

  /** WAL bytes that call for a checkpoint: a quarter of the live pages' bytes, within [256 KiB, walCheckpointBytes]. */
  walThreshold(): number {
    if (!this.opts.adaptiveCheckpoints) return this.opts.walCheckpointBytes
    return Math.min(this.opts.walCheckpointBytes, Math.max(WAL_MIN_BYTES, (this.livePages() * this.pager.pageSize) / 4))
  }

  /**
   * Bytes the WAL file keeps after a checkpoint (as SQLite's journal_size_limit: less to grow
   * again): walSizeLimit when given; else a quarter of the live pages' bytes, no floor (a small
   * store's WAL would otherwise outweigh it), at most 1 MiB; 1 MiB with a fixed
   * walCheckpointBytes. Cost: O(1).
   */
  walKeepBytes(): number {
    if (this.opts.walSizeLimit !== undefined) return this.opts.walSizeLimit
    if (!this.opts.adaptiveCheckpoints) return WAL_SIZE_LIMIT
    return Math.min(WAL_SIZE_LIMIT, Math.floor((this.livePages() * this.pager.pageSize) / 4))
  }

  /** Slots in use (live, or waiting to be freed). */
  livePages(): number {
    return this.pager.slotCount - this.pager.freeCount
  }
}
