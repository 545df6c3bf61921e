// Page I/O: reads and checks pages (through the cache), reads and writes overflow chains, hands
// out free slots and writes batches of new pages with as few file writes as it can.

import { PageCache } from './cache.js'
import { CorruptionError } from './errors.js'
import { HEADER_SIZE, type DiskRef, type Layout, type Node } from './node.js'
import {
  PageType,
  checkPage,
  decodeIndexPage,
  decodeNode,
  encodeIndexPage,
  encodeNode,
  indexCapacity,
  sealPage,
  type ChainIO,
  type PageHeader,
} from './page.js'
import type { BlockFile } from './store.js'

/** Pages per chunk of the staging arena at most (256 KiB of 4 KiB pages: a write per chunk at most). */
const STAGE_CHUNK_PAGES = 64

export type PagerCounters = { pagesRead: number; pagesWritten: number; pagesCreated: number }

export class Pager implements ChainIO {
  readonly cache: PageCache
  readonly pageSize: number
  /** Slots free for new pages, largest first so that pop() hands out the lowest slot. */
  private free: number[] = []
  /** Number of slots the file has (in use or free). */
  slotCount = 0
  /** Next page id: monotonic, never reused. */
  nextId = 1
  /** Generation stamped on pages written now. */
  gen = 0
  /** Pages staged by the current write batch, by slot. */
  private staged = new Map<number, Uint8Array>()
  /** Where staged pages are encoded: chunks of STAGE_CHUNK_PAGES pages, so pages that get
   * adjacent slots are adjacent in memory too and are written without a copy. */
  private arena = new Uint8Array(0)
  private arenaUsed = 0
  readonly counters: PagerCounters = { pagesRead: 0, pagesWritten: 0, pagesCreated: 0 }

  constructor(
    readonly file: BlockFile,
    readonly layout: Layout,
    cacheBytes: number,
  ) {
    this.pageSize = layout.pageSize
    this.cache = new PageCache(cacheBytes, layout.pageSize * 2)
  }

  // ---- reading ------------------------------------------------------------------------------

  /** Reads, checks and decodes the tree page at `ref`. Cost: O(1) on a cache hit, one page read otherwise. */
  node(ref: DiskRef): Node {
    const hit = this.cache.get(ref.slot, ref.id)
    if (hit) return hit
    const { page, header } = this.page(ref)
    const n = decodeNode(page, ref.slot, header, this.layout, this)
    this.cache.set(n)
    return n
  }

  /** Reads and checks one page. Throws CorruptionError if it is not page `ref.id`. Cost: one page read. */
  page(ref: DiskRef): { page: Uint8Array; header: PageHeader } {
    if (!(ref.slot < this.slotCount)) {
      throw new CorruptionError(`cowdb: page ${ref.id} points at slot ${ref.slot}, past the end of the file`, ref.slot, ref.id)
    }
    const page = new Uint8Array(this.pageSize)
    const staged = this.staged.get(ref.slot)
    if (staged) page.set(staged)
    else {
      const n = this.file.read(ref.slot * this.pageSize, page)
      this.counters.pagesRead++
      if (n !== this.pageSize) {
        throw new CorruptionError(`cowdb: page ${ref.id} at slot ${ref.slot} is short (${n} bytes)`, ref.slot, ref.id)
      }
    }
    return { page, header: checkPage(page, ref.slot, ref.id) }
  }

  /** Reads a whole overflow chain of `length` bytes. Cost: O(length / pageSize) page reads. */
  readChain(ref: DiskRef, length: number): Uint8Array {
    const out = new Uint8Array(length)
    let at = 0
    this.walkChain(ref, (page, h) => {
      if (h.type !== PageType.OverflowData) return
      if (at + h.payload > length) throw this.chainError(ref, 'holds more bytes than its length')
      out.set(page.subarray(HEADER_SIZE, HEADER_SIZE + h.payload), at)
      at += h.payload
    })
    if (at !== length) throw this.chainError(ref, `holds ${at} bytes, expected ${length}`)
    return out
  }

  /** Every page of an overflow chain, index and data pages, in order. Cost: reads every page of the chain. */
  chainPages(ref: DiskRef): DiskRef[] {
    const out: DiskRef[] = []
    this.walkChain(ref, (_p, _h, r) => out.push(r))
    return out
  }

  /**
   * Every page of an overflow chain without reading the data pages (they are listed in the
   * index pages). Cost: O(length / (pageSize * indexCapacity)) page reads.
   */
  chainPagesFast(ref: DiskRef): DiskRef[] {
    const first = this.page(ref)
    if (first.header.type === PageType.OverflowData) return [ref]
    const out: DiskRef[] = []
    let cur: DiskRef | null = ref
    let page = first
    for (let guard = 0; cur; guard++) {
      if (guard > this.slotCount) throw this.chainError(ref, 'index chain loops')
      if (page.header.type !== PageType.OverflowIndex) throw this.chainError(ref, `page ${cur.id} is not an index page`)
      out.push(cur)
      const { next, refs } = decodeIndexPage(page.page, page.header, cur.slot)
      out.push(...refs)
      cur = next
      if (cur) page = this.page(cur)
    }
    return out
  }

  private walkChain(ref: DiskRef, visit: (page: Uint8Array, h: PageHeader, r: DiskRef) => void): void {
    const first = this.page(ref)
    if (first.header.type === PageType.OverflowData) return visit(first.page, first.header, ref)
    let cur: DiskRef | null = ref
    let page = first
    for (let guard = 0; cur; guard++) {
      if (guard > this.slotCount) throw this.chainError(ref, 'index chain loops')
      if (page.header.type !== PageType.OverflowIndex) throw this.chainError(ref, `page ${cur.id} is not an index page`)
      visit(page.page, page.header, cur)
      const { next, refs } = decodeIndexPage(page.page, page.header, cur.slot)
      for (const r of refs) {
        const d = this.page(r)
        if (d.header.type !== PageType.OverflowData) throw this.chainError(ref, `page ${r.id} is not a data page`)
        visit(d.page, d.header, r)
      }
      cur = next
      if (cur) page = this.page(cur)
    }
  }

  private chainError(ref: DiskRef, why: string) {
    return new CorruptionError(`cowdb: overflow chain at page ${ref.id} (slot ${ref.slot}) is corrupt: ${why}`, ref.slot, ref.id)
  }

  // ---- writing ------------------------------------------------------------------------------

  /** Hands out a free slot (the lowest), or grows the file by one slot. Cost: O(1). */
  allocate(): number {
    const s = this.free.pop()
    return s !== undefined ? s : this.slotCount++
  }

  /**
   * Writes node `n` (whose children are all on disk) to a new slot; its overflow chains get the
   * slots after it. Cost: O(pageSize).
   */
  writeNode(n: Node): void {
    const page = this.pageBuffer()
    const slot = this.allocate()
    encodeNode(n, page, this.layout, this)
    n.slot = slot
    this.stage(slot, page)
  }

  /**
   * A zeroed page to stage, cut from the current chunk (a page each was a 4 KiB ArrayBuffer
   * each, then copied again into a run to write: 7% and 4% of a bulk load's profile).
   */
  private pageBuffer(): Uint8Array {
    if (this.arenaUsed + this.pageSize > this.arena.length) {
      // chunks double from one page: a checkpoint of a few pages allocates no more than those
      const pages = Math.min(STAGE_CHUNK_PAGES, Math.max(1, this.staged.size))
      this.arena = new Uint8Array(this.pageSize * pages)
      this.arenaUsed = 0
    }
    const page = this.arena.subarray(this.arenaUsed, this.arenaUsed + this.pageSize)
    this.arenaUsed += this.pageSize
    return page
  }

  /** Writes bytes to a new overflow chain and returns its first page. Cost: O(length). */
  writeChain(bytes: Uint8Array): DiskRef {
    const room = this.pageSize - HEADER_SIZE
    const data: DiskRef[] = []
    for (let at = 0; at < bytes.length || data.length === 0; at += room) {
      const page = this.pageBuffer()
      const part = bytes.subarray(at, at + room)
      page.set(part, HEADER_SIZE)
      const ref = { slot: this.allocate(), id: this.newId() }
      sealPage(page, PageType.OverflowData, 0, ref.id, this.gen, part.length)
      this.stage(ref.slot, page)
      data.push(ref)
    }
    if (data.length === 1) return data[0]!
    const cap = indexCapacity(this.pageSize)
    let next: DiskRef | null = null
    for (let end = data.length; end > 0; end -= cap) {
      const start = Math.max(0, end - cap)
      const page = this.pageBuffer()
      const ref = { slot: this.allocate(), id: this.newId() }
      encodeIndexPage(page, ref.id, this.gen, next, data.slice(start, end))
      this.stage(ref.slot, page)
      next = ref
      if (start === 0) break
    }
    return next!
  }

  /** A fresh page id. */
  newId(): number {
    this.counters.pagesCreated++
    return this.nextId++
  }

  private stage(slot: number, page: Uint8Array): void {
    this.staged.set(slot, page)
  }

  /** Pages staged and not yet written. */
  get stagedCount(): number {
    return this.staged.size
  }

  /**
   * Writes every staged page, each run of adjacent slots in one write (a run longer than a chunk:
   * one write per chunk, without a copy), then flushes the file (unless `flush` is false: the
   * caller flushes before anything durable names the pages).
   * On failure (e.g. quota) the slots go back to the free list and nothing is half-adopted.
   * Cost: O(staged pages) bytes written, one flush.
   */
  writeStaged(flush = true): void {
    const slots = [...this.staged.keys()].sort((a, b) => a - b)
    try {
      for (let i = 0; i < slots.length; ) {
        let j = i + 1
        while (j < slots.length && slots[j] === slots[j - 1]! + 1) j++
        // a long run goes chunk by chunk, each a view (one write per 256 KiB, no copy); a short
        // one that spans chunks is copied into one buffer (one write)
        for (let k = i; k < j; ) {
          const first = this.staged.get(slots[k]!)!
          let m = k + 1
          while (m < j && this.follows(this.staged.get(slots[m]!)!, first, m - k)) m++
          if (m < j && j - i <= STAGE_CHUNK_PAGES) m = j
          this.file.write(slots[k]! * this.pageSize, this.runBytes(slots, k, m))
          k = m
        }
        this.counters.pagesWritten += j - i
        i = j
      }
      if (flush) this.file.flush()
    } finally {
      this.clearStaged()
    }
  }

  /** Whether `page` lies `k` pages after `first` in the same chunk. */
  private follows(page: Uint8Array, first: Uint8Array, k: number): boolean {
    return page.buffer === first.buffer && page.byteOffset === first.byteOffset + k * this.pageSize
  }

  /** The staged pages of slots[i, j) as one buffer: a view when they lie side by side, else a copy. */
  private runBytes(slots: number[], i: number, j: number): Uint8Array {
    const first = this.staged.get(slots[i]!)!
    let side = true
    for (let k = i + 1; k < j && side; k++) side = this.follows(this.staged.get(slots[k]!)!, first, k - i)
    if (side) return new Uint8Array(first.buffer, first.byteOffset, (j - i) * this.pageSize)
    const run = new Uint8Array((j - i) * this.pageSize)
    for (let k = i; k < j; k++) run.set(this.staged.get(slots[k]!)!, (k - i) * this.pageSize)
    return run
  }

  private clearStaged(): void {
    this.staged.clear()
    this.arena = new Uint8Array(0) // the next batch starts a new chunk; this one goes with its pages
    this.arenaUsed = 0
  }

  /** The allocator's state, to roll back to if a write batch fails. Cost: O(free slots). */
  saveAllocator(): { free: number[]; slotCount: number; nextId: number } {
    return { free: this.free.slice(), slotCount: this.slotCount, nextId: this.nextId }
  }

  /** Rolls the allocator back (the batch's pages were never adopted by any root). */
  restoreAllocator(s: { free: number[]; slotCount: number; nextId: number }): void {
    this.clearStaged()
    this.free = s.free
    this.slotCount = s.slotCount
  }

  /** The pager's part of Database.stats(). */
  stats(): { pageSize: number; pagesLive: number; pagesFree: number; cacheHits: number; cacheMisses: number; pagesCreated: number; pagesWritten: number; pagesRead: number } {
    const c = this.counters
    return { pageSize: this.pageSize, pagesLive: this.slotCount - this.free.length, pagesFree: this.free.length, cacheHits: this.cache.hits, cacheMisses: this.cache.misses, pagesCreated: c.pagesCreated, pagesWritten: c.pagesWritten, pagesRead: c.pagesRead }
  }

  // ---- free space ---------------------------------------------------------------------------

  /** Marks slots free for reuse (after the last root that reached them is gone). Cost: O(n log n). */
  addFree(slots: Iterable<number>): void {
    for (const s of slots) {
      this.free.push(s)
      this.cache.drop(s)
    }
    this.free.sort((a, b) => b - a)
  }

  /** Replaces the free list (after a full GC or on open). */
  setFree(slots: number[]): void {
    for (const s of slots) this.cache.drop(s)
    this.free = slots.slice().sort((a, b) => b - a)
  }

  /** The free slots, as a set. Cost: O(free). */
  freeSlots(): Set<number> {
    return new Set(this.free)
  }

  get freeCount(): number {
    return this.free.length
  }

  /** Free slots as [start, length] runs, flattened (the Meta form). Cost: O(n log n). */
  freeRuns(): number[] {
    const sorted = this.free.slice().sort((a, b) => a - b)
    const runs: number[] = []
    for (const s of sorted) {
      const n = runs.length
      if (n && runs[n - 2]! + runs[n - 1]! === s) runs[n - 1]!++
      else runs.push(s, 1)
    }
    return runs
  }

  /** Loads the free list from the Meta form. */
  loadFreeRuns(runs: number[]): void {
    const slots: number[] = []
    for (let i = 0; i + 1 < runs.length; i += 2) for (let k = 0; k < runs[i + 1]!; k++) slots.push(runs[i]! + k)
    this.setFree(slots)
  }

  /**
   * Gives free slots at the end of the file back to the OS. Only call when no durable root can
   * reach them (they are free in the saved Meta too). Cost: O(free slots).
   */
  /** Free slots at the end of the file (what truncateTail would cut). Cost: O(free). */
  freeTail(): number {
    const set = this.freeSlots()
    let end = this.slotCount
    while (end > 0 && set.has(end - 1)) end--
    return this.slotCount - end
  }

  truncateTail(): number {
    const cut = this.freeTail()
    const end = this.slotCount - cut
    if (cut > 0) {
      this.free = this.free.filter((s) => s < end)
      this.slotCount = end
      this.file.truncate(end * this.pageSize)
    }
    return cut
  }
}
