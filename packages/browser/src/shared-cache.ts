// The shared page cache: a SharedArrayBuffer that the worker owning the files writes and its
// page's main thread reads without a message (cross-origin isolated pages only). It holds the
// durable roots (each head's root page id, the snapshots' roots, the generation) and pages by
// page id in the on-disk format, each with a directory of its entries' offsets so that a read
// binary-searches it in place (packages/core/src/page-read.ts). One writer (the worker), any
// number of readers; no locks, no waiting: a reader that meets a write in progress gives up and
// asks the worker instead.
//
//   offset              what
//   0                   header, 40 bytes of Int32: magic, version, page size, entries, buckets,
//                       roots seqlock, roots length, roots capacity, owner epoch
//   40                  roots (roots capacity bytes): generation f64, heads u32, snapshots u32;
//                       per head: root f64 (0: empty tree, -1: not published), name length u16,
//                       name UTF-8; per snapshot: root f64, id length u8, id (ASCII)
//   40 + roots          entries, `stride` bytes each:
//                         +0   seq i32: even when stable, odd while the writer writes it, +2 per write
//                         +4   hint i32: a reader used it since the writer's clock last passed
//                         +8   page id f64 (0: empty)
//                         +16  the page (pageSize bytes)
//                         +16+pageSize  u16 per entry: its offset in the page (the directory)
//
// Why a reader never returns bytes of a page other than the one it asked for: a page id names one
// content forever (ids are never reused, and the worker publishes only pages that can no longer
// change); a reader checks the id in the entry and in the page, takes what it needs, then checks
// with an atomic read-modify-write that the entry's seq is the even value it saw before reading.
// Any write to the entry in between moved the seq, so the bytes it took are discarded. A cache
// that outlives its owner (a follower's, mirror.ts) is emptied for the next one, which may issue
// the same ids for other pages: clear() withdraws the roots, then moves the owner epoch, then
// empties the entries, and a read counts only if the epoch it saw with its roots is still the
// epoch when it is done (else its roots may be the old owner's and its pages the new one's). An entry
// is found in one of two buckets of four (two-choice hashing of the page id).

import { entryOffsets, maxEntries, type PageSource } from '@cowdb/core/page-read'

const MAGIC = 0x5ab1c0db
const VERSION = 2
const HEADER = 40
/** Int32 indexes of the header fields. */
const H_MAGIC = 0, H_VERSION = 1, H_PAGE = 2, H_ENTRIES = 3, H_BUCKETS = 4, H_ROOTS_SEQ = 5, H_ROOTS_LEN = 6, H_ROOTS_CAP = 7, H_EPOCH = 8
const ENTRY_HEAD = 16
const WAYS = 4
/** Bytes for the roots: about 1,500 snapshots (the newest are kept when there are more). */
const ROOTS_BYTES = 64 * 1024

/** The published roots, as a reader sees them. */
export type Roots = {
  /** The generation of the durable state they are (every commit up to it is in them). */
  generation: number
  /** The cache's owner epoch when they were read (see SharedCacheReader.sameOwner). */
  epoch: number
  /** Root page id of a head by name (0: empty tree, -1: not published). */
  head(name: string): number | undefined
  /** Root page id of a snapshot by id, if published. */
  snapshot(id: string): number | undefined
}

const entryStride = (pageSize: number) => Math.ceil((ENTRY_HEAD + pageSize + 2 * maxEntries(pageSize)) / 8) * 8

/** The views over one cache buffer, shared by its reader and its writer. */
class Views {
  readonly bytes: Uint8Array
  readonly view: DataView
  readonly i32: Int32Array
  readonly f64: Float64Array
  readonly u16: Uint16Array
  readonly pageSize: number
  readonly entries: number
  readonly buckets: number
  readonly stride: number
  readonly base: number

  constructor(readonly buffer: ArrayBufferLike) {
    this.bytes = new Uint8Array(buffer)
    this.view = new DataView(buffer)
    this.i32 = new Int32Array(buffer)
    this.f64 = new Float64Array(buffer)
    this.u16 = new Uint16Array(buffer)
    if (this.i32[H_MAGIC] !== MAGIC || this.i32[H_VERSION] !== VERSION) throw new TypeError('cowdb: not a shared page cache of this version')
    this.pageSize = this.i32[H_PAGE]!
    this.entries = this.i32[H_ENTRIES]!
    this.buckets = this.i32[H_BUCKETS]!
    this.stride = entryStride(this.pageSize)
    this.base = HEADER + this.i32[H_ROOTS_CAP]!
  }

  /** The byte offset of the first entry of each of page `id`'s two buckets. */
  protected bucketsOf(id: number, out: number[]): void {
    let h = Math.imul((id % 0x1_0000_0000) ^ Math.imul(Math.floor(id / 0x1_0000_0000), 0x27d4eb2d), 0x9e3779b1)
    h ^= h >>> 15
    h = Math.imul(h, 0x85ebca77)
    h ^= h >>> 13
    const b1 = (h >>> 0) % this.buckets
    let b2 = ((Math.imul(h, 0xc2b2ae3d) ^ (h >>> 16)) >>> 0) % this.buckets
    if (b2 === b1) b2 = (b1 + 1) % this.buckets
    out[0] = this.base + b1 * WAYS * this.stride
    out[1] = this.base + b2 * WAYS * this.stride
  }
}

/**
 * A new cache buffer of about `bytes` bytes for pages of `pageSize` (at least two buckets): a
 * SharedArrayBuffer where this context may share memory (cross-origin isolated), else a plain
 * one (an owner whose own page cannot share keeps its cache for the other tabs' sake).
 * Cost: O(1) (the memory is the OS's zero pages until written).
 */
export function createSharedCache(bytes: number, pageSize: number): ArrayBufferLike {
  const stride = entryStride(pageSize)
  const buckets = Math.max(2, Math.floor((bytes - HEADER - ROOTS_BYTES) / (stride * WAYS)))
  const size = HEADER + ROOTS_BYTES + buckets * WAYS * stride
  const buffer = typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated === true ? new SharedArrayBuffer(size) : new ArrayBuffer(size)
  const i32 = new Int32Array(buffer)
  i32.set([MAGIC, VERSION, pageSize, buckets * WAYS, buckets, 0, 0, ROOTS_BYTES, 0])
  return buffer
}

/** The main thread's side: pages by id for page-read.ts, and the roots. */
export class SharedCacheReader extends Views implements PageSource {
  version = 0
  private readonly candidates = [0, 0]
  private rootsSeq = -1
  private roots: Roots | null = null

  /** The offset of page `id`'s bytes, or -1 (absent, or being written now); sets `version`. Cost: O(1). */
  find(id: number): number {
    this.bucketsOf(id, this.candidates)
    for (const first of this.candidates) {
      for (let w = 0, e = first; w < WAYS; w++, e += this.stride) {
        if (this.f64[(e + 8) >> 3] !== id) continue
        const seq = Atomics.load(this.i32, e >> 2)
        if (seq & 1 || this.f64[(e + 8) >> 3] !== id) return -1
        this.version = seq
        if (this.i32[(e + 4) >> 2] === 0) this.i32[(e + 4) >> 2] = 1 // a hint: a lost race costs nothing
        return e + ENTRY_HEAD
      }
    }
    return -1
  }

  /**
   * Whether the entry of the page at `at` is still at `version`. A read-modify-write (adding 0),
   * not a load: it cannot be ordered before the reads of the page that precede it. Cost: O(1).
   */
  unchanged(at: number, version: number): boolean {
    return Atomics.add(this.i32, (at - ENTRY_HEAD) >> 2, 0) === version
  }

  /** The offset of entry `i` of the page at `at`, from its directory. Cost: O(1). */
  entryAt(at: number, i: number): number {
    return at + this.u16[((at + this.pageSize) >> 1) + i]!
  }

  /**
   * The published roots. While the worker rewrites them: the ones this reader read last if those
   * are the newest complete ones (the write under way is the very next, same owner: the read
   * then simply comes before it), else null (ask the worker). Parsed once per change.
   * Cost: O(1) when unchanged, else O(roots bytes).
   */
  currentRoots(): Roots | null {
    const epoch = Atomics.load(this.i32, H_EPOCH)
    const seq = Atomics.load(this.i32, H_ROOTS_SEQ)
    if ((seq === this.rootsSeq || seq === this.rootsSeq + 1) && epoch === this.roots?.epoch) return this.roots
    const len = this.i32[H_ROOTS_LEN]!
    if (seq & 1 || len > this.base - HEADER) return null
    const copy = this.bytes.slice(HEADER, HEADER + len)
    if (Atomics.add(this.i32, H_ROOTS_SEQ, 0) !== seq) return null
    this.roots = parseRoots(copy, epoch)
    this.rootsSeq = seq
    return this.roots
  }

  /**
   * Whether the cache still has the owner it had when `roots` were read: a read done on them
   * counts only then (after a clear(), the same ids may name another owner's pages). A
   * read-modify-write, so it is not ordered before the page reads that precede it. Cost: O(1).
   */
  sameOwner(roots: Roots): boolean {
    return Atomics.add(this.i32, H_EPOCH, 0) === roots.epoch
  }
}

function parseRoots(b: Uint8Array, epoch: number): Roots {
  if (b.length < 16) return { generation: -1, epoch, head: () => undefined, snapshot: () => undefined }
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const generation = v.getFloat64(0)
  const nHeads = v.getUint32(8)
  const nSnaps = v.getUint32(12)
  const heads = new Map<string, number>()
  const text = new TextDecoder()
  let at = 16
  for (let i = 0; i < nHeads; i++) {
    const root = v.getFloat64(at)
    const len = v.getUint16(at + 8)
    heads.set(text.decode(b.subarray(at + 10, at + 10 + len)), root)
    at += 10 + len
  }
  const snapsAt = at
  let snaps: Map<string, number> | undefined
  const snapshot = (id: string) => {
    if (!snaps) {
      snaps = new Map()
      for (let i = 0, p = snapsAt; i < nSnaps; i++) {
        const len = b[p + 8]!
        snaps.set(String.fromCharCode(...b.subarray(p + 9, p + 9 + len)), v.getFloat64(p))
        p += 9 + len
      }
    }
    return snaps.get(id)
  }
  return { generation, epoch, head: (name) => heads.get(name), snapshot }
}

/** The worker's side: publishes pages and roots. One writer per buffer. */
export class SharedCacheWriter extends Views {
  private readonly candidates = [0, 0]
  /** The clock hand: which of the eight candidate ways eviction looks at first. */
  private hand = 0
  /** Pages and their directories are made here, in plain memory, then copied in one go: in Chromium, writing a page into shared memory piece by piece costs nearly twice as much. */
  private readonly page: Uint8Array
  private readonly dir: Uint16Array
  private readonly rootsScratch: Uint8Array
  private readonly rootsView: DataView
  private readonly names = new Map<string, Uint8Array>()
  /** Pages written since the cache was made. */
  written = 0

  /** The page the last put() wrote (valid until the next put). */
  get lastPage(): Uint8Array {
    return this.page
  }

  constructor(buffer: ArrayBufferLike) {
    super(buffer)
    this.page = new Uint8Array(this.pageSize)
    this.dir = new Uint16Array(maxEntries(this.pageSize))
    this.rootsScratch = new Uint8Array(this.base - HEADER)
    this.rootsView = new DataView(this.rootsScratch.buffer)
  }

  /** The entry offset holding page `id`, or -1. Cost: O(1). */
  private entryOf(id: number): number {
    this.bucketsOf(id, this.candidates)
    for (const first of this.candidates) for (let w = 0, e = first; w < WAYS; w++, e += this.stride) if (this.f64[(e + 8) >> 3] === id) return e
    return -1
  }

  /** Whether page `id` is in the cache. Cost: O(1). */
  has(id: number): boolean {
    return this.entryOf(id) >= 0
  }

  /** A copy of page `id`'s bytes, if the cache holds it (the writer's own view: no check needed). Cost: O(pageSize). */
  copyOf(id: number): Uint8Array | undefined {
    const e = this.entryOf(id)
    return e < 0 ? undefined : this.bytes.slice(e + ENTRY_HEAD, e + ENTRY_HEAD + this.pageSize)
  }

  /**
   * Publishes page `id` (a tree page that will never change), written in place by `encode`,
   * evicting an entry of its buckets if they are full: an empty one first, else the first the
   * clock finds unused since it last passed (second chance). True if it is there now (or was).
   * Cost: O(pageSize).
   */
  put(id: number, encode: (into: Uint8Array) => boolean): boolean {
    if (this.has(id)) return true
    const entries = encode(this.page) ? entryOffsets(this.page, this.dir) : -1
    if (entries < 0) return false
    const e = this.victim()
    const seq = this.i32[e >> 2]!
    Atomics.store(this.i32, e >> 2, seq + 1) // odd: readers of this entry give up
    this.f64[(e + 8) >> 3] = id
    this.bytes.set(this.page, e + ENTRY_HEAD)
    this.u16.set(this.dir.subarray(0, entries), (e + ENTRY_HEAD + this.pageSize) >> 1)
    this.i32[(e + 4) >> 2] = 0 // no second chance until a reader uses it: pages in use outlive new ones
    Atomics.store(this.i32, e >> 2, seq + 2)
    this.written++
    return true
  }

  /** Entry `i` (0..7) of the two buckets entryOf() looked at last. */
  private way(i: number): number {
    return this.candidates[i >> 2]! + (i & (WAYS - 1)) * this.stride
  }

  /** The entry to overwrite for the page entryOf() just looked for. */
  private victim(): number {
    const ways = 2 * WAYS
    for (let i = 0; i < ways; i++) if (this.f64[(this.way(i) + 8) >> 3] === 0) return this.way(i)
    for (let k = 0; k < 2 * ways; k++) {
      const i = (this.hand + k) % ways
      const hint = (this.way(i) + 4) >> 2
      if (this.i32[hint] === 0) {
        this.hand = (i + 1) % ways
        return this.way(i)
      }
      this.i32[hint] = 0
    }
    return this.way(this.hand) // not reached: the first round cleared every hint
  }

  /**
   * Publishes the roots: the generation they are at, each head's root page id (0: empty, -1: not
   * published) and snapshots' (the newest first, as many as fit). Cost: O(heads + snapshots).
   */
  setRoots(generation: number, heads: [string, number][], snapshots: [string, number][]): void {
    const b = this.rootsScratch
    const v = this.rootsView
    v.setFloat64(0, generation)
    let at = 16
    let nHeads = 0
    for (const [name, root] of heads) {
      let bytes = this.names.get(name)
      if (!bytes) this.names.set(name, (bytes = new TextEncoder().encode(name)))
      if (at + 10 + bytes.length > b.length) break
      v.setFloat64(at, root)
      v.setUint16(at + 8, bytes.length)
      b.set(bytes, at + 10)
      at += 10 + bytes.length
      nHeads++
    }
    let nSnaps = 0
    for (const [id, root] of snapshots.length > 1 ? snapshots.slice().sort((x, y) => (x[0] < y[0] ? 1 : -1)) : snapshots) {
      if (id.length > 255 || at + 9 + id.length > b.length) break
      v.setFloat64(at, root)
      b[at + 8] = id.length
      for (let i = 0; i < id.length; i++) b[at + 9 + i] = id.charCodeAt(i) & 0xff
      at += 9 + id.length
      nSnaps++
    }
    v.setUint32(8, nHeads)
    v.setUint32(12, nSnaps)
    const seq = this.i32[H_ROOTS_SEQ]!
    Atomics.store(this.i32, H_ROOTS_SEQ, seq + 1)
    this.bytes.set(b.subarray(0, at), HEADER)
    this.i32[H_ROOTS_LEN] = at
    Atomics.store(this.i32, H_ROOTS_SEQ, seq + 2)
  }

  /** Readers find nothing any more (the owner closes): every read asks the worker. Cost: O(1). */
  retract(): void {
    this.setRoots(-1, [], [])
  }

  /**
   * Empties the cache: the roots, then the owner epoch moves (a read on roots of before fails its
   * sameOwner check), then every entry. For a cache filled by another owner: page ids are unique
   * within one engine instance, and the next owner issues again the ids of pages that never
   * reached the disk. Cost: O(entries).
   */
  clear(): void {
    this.retract()
    Atomics.add(this.i32, H_EPOCH, 1)
    for (let e = this.base; e < this.base + this.entries * this.stride; e += this.stride) {
      if (this.f64[(e + 8) >> 3] === 0) continue
      const seq = this.i32[e >> 2]!
      Atomics.store(this.i32, e >> 2, seq + 1)
      this.f64[(e + 8) >> 3] = 0
      Atomics.store(this.i32, e >> 2, seq + 2)
    }
  }
}
