// The checkpoint: writes every page that only memory holds to free slots, flushes the pages
// file, and saves the Meta (one atomic write: the root switch of the seed); then the WAL starts
// a new cycle. It also keeps the ledger of pages commits copied away from: those no retained
// root reaches become free once a saved Meta no longer names them; the others are handed to
// the deadlists when their commits are checkpointed (see space.ts and deadlist.ts).

import type { Catalog, Snap } from './catalog.js'
import type { Dead } from './deadlist.js'
import { stoppedWrites } from './errors.js'
import type { Failpoints } from './failpoints.js'
import type { Head } from './heads.js'
import { BACKGROUND_BUCKETS, Histogram, now } from './metrics.js'
import { isNode, type DiskRef, type Node, type Ref } from './node.js'
import type { Pager } from './pager.js'
import { FORMAT_VERSION, type HeadRecord, type Meta, type RootRef, type Storage } from './store.js'
import type { Wal } from './wal.js'

/** A node a checkpoint wrote, with its values before (to roll back to if the checkpoint fails). */
export type Written = { node: Node; vals: Node['vals'] | null }
/**
 * A page copied away from a head, waiting for its commit's checkpoint to join a deadlist
 * (catalog.ts). A node copied away while only in memory has its slot once a checkpoint wrote it
 * out (a retained root reached it), else never: then there is nothing to free.
 */
export type PendingDead = Dead & { head: string; switches: number; node?: Node }
/** Where the ledger was (see mark()): what a rollback truncates it back to. */
export type LedgerMark = { free: number; dead: number }

export class Checkpointer {
  /** Checkpoints completed. */
  checkpoints = 0
  readonly duration = new Histogram(BACKGROUND_BUCKETS)
  /** Hook: a checkpoint completed; `dead` are the pages copied away since the last one (space.ts). */
  onCheckpointed: (dead: PendingDead[]) => void = () => {}
  private saved: Meta
  /** Something only a checkpoint saves changed since the last one (retention, branches, a new log cycle). */
  private changed = false
  /** Slots of pages copied away from that no retained root reaches: free after the next Meta save. */
  private pendingFree: number[] = []
  /** Pages copied away that retained roots may still reach: sorted out once their commits are checkpointed. */
  private pendingDead: PendingDead[] = []
  /** The ledger at the last WAL flush (what a failed flush rolls back to). */
  private flushedMark: LedgerMark = { free: 0, dead: 0 }

  constructor(
    private readonly storage: Storage,
    private readonly pager: Pager,
    private readonly wal: Wal,
    private readonly catalog: Catalog,
    meta: Meta,
    /** Bytes the WAL file may keep after a checkpoint (space.ts adapts it to the store's size). */
    private readonly walSizeLimit: () => number,
    private readonly failpoints?: Failpoints,
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

  /** The checkpoint's part of Database.stats(). */
  stats(): { checkpoints: number; pagesPendingFree: number } {
    return { checkpoints: this.checkpoints, pagesPendingFree: this.pendingCount }
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

  /** A page copied away that a retained root may reach: sorted out after the next Meta save. */
  deadAtNext(d: PendingDead): void {
    this.pendingDead.push(d)
  }

  get pendingCount(): number {
    return this.pendingFree.length + this.pendingDead.length
  }

  /** Every slot the ledger holds (the gc must not free them: the ledger will). Cost: O(ledger). */
  pendingSet(): Set<number> {
    const set = new Set(this.pendingFree)
    for (const d of this.pendingDead) if (d.slot >= 0) set.add(d.slot)
    return set
  }

  /** Where the ledger is now. */
  mark(): LedgerMark {
    return { free: this.pendingFree.length, dead: this.pendingDead.length }
  }

  /** The ledger as of now is what a later failed flush rolls back to. */
  markFlushed(): void {
    this.flushedMark = this.mark()
  }

  /** Forgets the entries added since the last flush (their commits were rolled back). */
  rollbackToFlushed(): void {
    this.truncateTo(this.flushedMark)
  }

  /** Forgets the entries added after `m` (a large commit rolled back). */
  truncateTo(m: LedgerMark): void {
    this.pendingFree.length = Math.min(this.pendingFree.length, m.free)
    this.pendingDead.length = Math.min(this.pendingDead.length, m.dead)
  }

  // ---- the checkpoint itself --------------------------------------------------------------------

  /**
   * Writes what only memory holds, saves the Meta, frees the ledger's slots and restarts the
   * WAL. On failure nothing is adopted: the allocator and the written nodes roll back.
   * Cost: O(new pages) writes, one pages flush, one Meta save.
   */
  async run(): Promise<void> {
    this.failpoints?.hit('checkpoint')
    const started = now()
    const alloc = this.pager.saveAllocator()
    const written: Written[] = []
    const headRefs = new Map<string, RootRef>()
    const snapRefs = new Map<string, RootRef>()
    try {
      this.pager.gen = this.catalog.generation
      for (const h of this.catalog.headList()) headRefs.set(h.name, writeTree(this.pager, h.root, written))
      for (const s of this.catalog.snapList()) snapRefs.set(s.id, writeTree(this.pager, s.root, written))
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
    adoptWritten(this.pager, written)
    const meta = metaOf(this.pager, this.catalog, this.wal.lsn, (h) => headRefs.get(h.name) ?? null, (s) => snapRefs.get(s.id) ?? null)
    await this.saveMeta(meta)
    this.saved = meta
    this.changed = false
    for (const s of this.catalog.snapList()) {
      const ref = snapRefs.get(s.id)
      if (ref && s.root && isNode(s.root)) s.root = ref
    }
    this.pager.addFree(this.pendingFree)
    this.pendingFree = []
    const dead = this.pendingDead
    this.pendingDead = []
    this.flushedMark = { free: 0, dead: 0 }
    this.wal.restart(meta.walSalt!, this.walSizeLimit())
    this.checkpoints++
    this.duration.observe((now() - started) / 1000)
    this.onCheckpointed(dead)
  }

  /**
   * Saves `meta`. Where a save that fails may still have reached storage whole, a restart would
   * open it while the WAL goes on in the old cycle (its records would not replay): so the
   * previous Meta is saved again, which the next open prefers. If even that fails, writes stop.
   */
  private async saveMeta(meta: Meta): Promise<void> {
    try {
      await this.storage.meta.save(meta)
    } catch (e) {
      if (!this.storage.meta.failedSaveMayPersist) throw e
      try {
        await this.storage.meta.save(this.saved)
      } catch (again) {
        throw stoppedWrites(e, `a checkpoint could not save its Meta, nor save the previous one again (${String((again as Error).message ?? again)})`)
      }
      throw e
    }
  }

}

/**
 * Stages the unwritten nodes under `ref` (children first) to free slots, each listed in
 * `written` with its values as they were (encoding may move a value to an overflow chain).
 * Returns where the root is. Cost: O(unwritten nodes) page encodings, no I/O until writeStaged.
 */
export function writeTree(pager: Pager, ref: Ref | null, written: Written[]): RootRef {
  if (!ref) return null
  if (!isNode(ref) || ref.slot >= 0) return { slot: ref.slot, id: ref.id }
  if (!ref.leaf) for (const k of ref.kids) if (isNode(k) && k.slot < 0) writeTree(pager, k, written)
  written.push({ node: ref, vals: ref.leaf ? ref.vals.slice() : null })
  pager.writeNode(ref)
  return { slot: ref.slot, id: ref.id }
}

/** After writeStaged: written nodes are immutable; their parents point at the disk copies, and the cache holds them. */
export function adoptWritten(pager: Pager, written: Written[]): void {
  for (const { node } of written) {
    if (!node.leaf) node.kids = node.kids.map(toDiskRef)
    pager.cache.set(node)
  }
}

/**
 * The Meta that names the catalog's heads and snapshots at the written roots `headRoot` and
 * `snapRoot` give, with the pager's allocator state and a new WAL cycle starting at `lsn`.
 * Cost: O(heads + snapshots + free slots).
 */
export function metaOf(pager: Pager, catalog: Catalog, lsn: number, headRoot: (h: Head) => RootRef, snapRoot: (s: Snap) => RootRef): Meta {
  const heads = [...catalog.headList()].map((h) => {
    const record: HeadRecord = { name: h.name, root: headRoot(h), generation: h.generation ?? catalog.generation }
    if (h.cursor >= 0 && h.cursor < h.history.length - 1) record.cursor = h.history[h.cursor]
    return record
  })
  return {
    version: FORMAT_VERSION,
    pageSize: pager.pageSize,
    generation: catalog.generation,
    nextPageId: pager.nextId,
    lsn,
    slotCount: pager.slotCount,
    free: pager.freeRuns(),
    heads,
    snapshots: [...catalog.snapList()].map((s) => ({ ...s, root: snapRoot(s) })),
    hlc: catalog.hlc.next(),
    walSalt: (Math.random() * 2 ** 32) >>> 0,
    extra: catalog.streams.extra(),
  }
}

/** A Meta for a new, empty store. */
export function freshMeta(pageSize: number): Meta {
  return { version: FORMAT_VERSION, pageSize, generation: 0, nextPageId: 1, lsn: 0, slotCount: 0, free: [], heads: [{ name: 'main', root: null, generation: 0 }], snapshots: [], hlc: '' }
}

function toDiskRef(r: Ref): Ref {
  return isNode(r) && r.slot >= 0 ? ({ slot: r.slot, id: r.id } as DiskRef) : r
}
