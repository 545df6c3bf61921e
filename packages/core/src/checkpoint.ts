// The checkpoint: writes every page that only memory holds to free slots, flushes the pages
// file, and saves the Meta (one atomic write: the root switch of the seed); then the WAL starts
// a new cycle. It also keeps the cheap path's ledger: slots of pages that a commit copied away
// from and that no retained root reaches, which become free once a saved Meta no longer names
// them (see space.ts).

import type { Catalog } from './catalog.js'
import { Histogram, LATENCY_BUCKETS, now } from './metrics.js'
import { isNode, type DiskRef, type Node, type Ref } from './node.js'
import type { Pager } from './pager.js'
import type { HeadRecord, Meta, RootRef, Storage } from './store.js'
import type { Wal } from './wal.js'

type Written = { node: Node; vals: Node['vals'] | null }

export class Checkpointer {
  /** Checkpoints completed. */
  checkpoints = 0
  readonly duration = new Histogram(LATENCY_BUCKETS)
  /** Hook: a checkpoint completed (space.ts may start a paced background gc). */
  onCheckpointed: () => void = () => {}
  private saved: Meta
  /** Something only a checkpoint saves changed since the last one (retention, branches, a new log cycle). */
  private changed = false
  /** Slots of pages copied away from that no retained root reaches: free after the next Meta save. */
  private pendingFree: number[] = []
  /** pendingFree's length at the last WAL flush (what a failed flush rolls back to). */
  private flushedPending = 0

  constructor(
    private readonly storage: Storage,
    private readonly pager: Pager,
    private readonly wal: Wal,
    private readonly catalog: Catalog,
    meta: Meta,
  ) {
    this.saved = meta
  }

  /** The last Meta saved: what a restart would open. */
  get durable(): Meta {
    return this.saved
  }

  /** The roots the saved Meta names: live until the next save replaces them. */
  durableRoots(): (Ref | null)[] {
    return [...this.saved.heads.map((h) => h.root), ...this.saved.snapshots.map((s) => s.root)]
  }

  /** The next checkpoint must save a Meta even if no page or record waits. */
  markChanged(): void {
    this.changed = true
  }

  /** Whether a checkpoint has anything to do. */
  get needed(): boolean {
    return this.wal.offset > 0 || this.pendingFree.length > 0 || this.changed
  }

  // ---- the cheap path's ledger ------------------------------------------------------------------

  /** Slots to free once the next Meta is saved. */
  freeAtNext(slot: number): void {
    this.pendingFree.push(slot)
  }

  get pendingCount(): number {
    return this.pendingFree.length
  }

  pendingSet(): Set<number> {
    return new Set(this.pendingFree)
  }

  /** The ledger as of now is what a later failed flush rolls back to. */
  markFlushed(): void {
    this.flushedPending = this.pendingFree.length
  }

  /** Forgets the entries added since the last flush (their commits were rolled back). */
  rollbackToFlushed(): void {
    this.pendingFree.length = this.flushedPending
  }

  /** Forgets the entries after the first `n` (a large commit rolled back). */
  truncatePending(n: number): void {
    this.pendingFree.length = Math.min(this.pendingFree.length, n)
  }

  // ---- the checkpoint itself --------------------------------------------------------------------

  /**
   * Writes what only memory holds, saves the Meta, frees the ledger's slots and restarts the
   * WAL. On failure nothing is adopted: the allocator and the written nodes roll back.
   * Cost: O(new pages) writes, one pages flush, one Meta save.
   */
  async run(): Promise<void> {
    const started = now()
    const alloc = this.pager.saveAllocator()
    const written: Written[] = []
    const heads: HeadRecord[] = []
    const snapRefs = new Map<string, RootRef>()
    try {
      this.pager.gen = this.catalog.generation
      for (const h of this.catalog.headList()) {
        const record: HeadRecord = { name: h.name, root: this.writeTree(h.root, written), generation: this.catalog.generation }
        if (h.cursor >= 0 && h.cursor < h.history.length - 1) record.cursor = h.history[h.cursor]
        heads.push(record)
      }
      for (const s of this.catalog.snapList()) snapRefs.set(s.id, this.writeTree(s.root, written))
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
      generation: this.catalog.generation,
      nextPageId: this.pager.nextId,
      lsn: this.wal.lsn,
      slotCount: this.pager.slotCount,
      free: this.pager.freeRuns(),
      heads,
      snapshots: [...this.catalog.snapList()].map((s) => ({ ...s, root: snapRefs.get(s.id) ?? null })),
      hlc: this.catalog.hlc.next(),
      walSalt: (Math.random() * 2 ** 32) >>> 0,
      extra: { retention: this.catalog.retention },
    }
    await this.storage.meta.save(meta)
    this.saved = meta
    this.changed = false
    for (const s of this.catalog.snapList()) {
      const ref = snapRefs.get(s.id)
      if (ref && s.root && isNode(s.root)) s.root = ref
    }
    this.pager.addFree(this.pendingFree)
    this.pendingFree = []
    this.flushedPending = 0
    this.wal.restart(meta.walSalt!)
    this.checkpoints++
    this.duration.observe((now() - started) / 1000)
    this.onCheckpointed()
  }

  /** Writes the unwritten nodes under `ref` (children first). */
  private writeTree(ref: Ref | null, written: Written[]): RootRef {
    if (!ref) return null
    if (!isNode(ref) || ref.slot >= 0) return { slot: ref.slot, id: ref.id }
    if (!ref.leaf) for (const k of ref.kids) if (isNode(k) && k.slot < 0) this.writeTree(k, written)
    written.push({ node: ref, vals: ref.leaf ? ref.vals.slice() : null })
    this.pager.writeNode(ref)
    return { slot: ref.slot, id: ref.id }
  }
}

/** A Meta for a new, empty store. */
export function freshMeta(pageSize: number): Meta {
  return { version: 1, pageSize, generation: 0, nextPageId: 1, lsn: 0, slotCount: 0, free: [], heads: [{ name: 'main', root: null, generation: 0 }], snapshots: [], hlc: '' }
}

function toDiskRef(r: Ref): Ref {
  return isNode(r) && r.slot >= 0 ? ({ slot: r.slot, id: r.id } as DiskRef) : r
}
