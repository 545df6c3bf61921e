// The on-disk page format, and nothing else. Every page is one fixed-size slot of the pages file:
//
//   offset  size  field
//   0       2     magic 0xC0DB
//   2       1     type: 1 branch, 2 leaf, 3 overflow data, 4 overflow index
//   3       1     flags (0)
//   4       2     count: entries (leaf), children (branch), pointers (overflow index)
//   6       2     reserved (0)
//   8       8     page id (float64 holding an integer < 2^53; monotonic, never reused)
//   16      8     generation that wrote the page (float64 integer)
//   24      4     checksum: xxHash32 of the whole page with this field zeroed
//   28      4     payload bytes after the header
//
// Leaf payload, per entry: flags u8 (1: key in overflow, 2: value in overflow), key length u16,
// value length u32, then the key (or a pointer) and the value (or a pointer).
// Branch payload: the first child pointer, then per separator: flags u8, key length u16,
// key (or pointer), child pointer. A pointer is slot u32 + page id f64 (12 bytes).
// Overflow data payload: raw bytes. Overflow index payload: next index pointer (slot 0xFFFFFFFF
// when none), then `count` pointers to data pages.

import { checksum32 } from './checksum.js'
import { CorruptionError } from './errors.js'
import { HEADER_SIZE, Node, Overflow, REF_SIZE, type DiskRef, type Layout, type Ref, isNode } from './node.js'

import { KEY_OVERFLOW, MAGIC, NO_SLOT, PageType, VALUE_OVERFLOW } from './page-format.js'

export { KEY_OVERFLOW, MAGIC, NO_SLOT, PageType, VALUE_OVERFLOW }

/** Writes the header fields and the checksum of a filled page. Cost: O(pageSize). */
export function sealPage(page: Uint8Array, type: PageType, count: number, id: number, gen: number, payload: number): void {
  const dv = view(page)
  dv.setUint16(0, MAGIC)
  dv.setUint8(2, type)
  dv.setUint8(3, 0)
  dv.setUint16(4, count)
  dv.setUint16(6, 0)
  dv.setFloat64(8, id)
  dv.setFloat64(16, gen)
  dv.setUint32(24, 0)
  dv.setUint32(28, payload)
  dv.setUint32(24, checksum32(page))
}

export type PageHeader = { type: PageType; count: number; id: number; gen: number; payload: number }

/**
 * Checks a page read from `slot` that should hold page `id`: magic, checksum, id, sizes.
 * Throws CorruptionError naming the page. Cost: O(pageSize).
 */
export function checkPage(page: Uint8Array, slot: number, id: number): PageHeader {
  const dv = view(page)
  const fail = (why: string): never => {
    throw new CorruptionError(`cowdb: page ${id} at slot ${slot} is corrupt: ${why}`, slot, id)
  }
  if (dv.getUint16(0) !== MAGIC) fail('bad magic (torn, unwritten or foreign page)')
  const stored = dv.getUint32(24)
  dv.setUint32(24, 0)
  const actual = checksum32(page)
  dv.setUint32(24, stored)
  if (stored !== actual) fail(`checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)})`)
  const header: PageHeader = {
    type: dv.getUint8(2),
    count: dv.getUint16(4),
    id: dv.getFloat64(8),
    gen: dv.getFloat64(16),
    payload: dv.getUint32(28),
  }
  if (header.id !== id) fail(`holds page ${header.id} instead (stale or misdirected pointer)`)
  if (header.type < PageType.Branch || header.type > PageType.OverflowIndex) fail(`unknown type ${header.type}`)
  if (header.payload > page.length - HEADER_SIZE) fail(`payload ${header.payload} exceeds the page`)
  return header
}

/** Callbacks the node codec needs for keys and values too large to inline. */
export type ChainIO = {
  /** Writes bytes to a new overflow chain and returns its first page. */
  writeChain(bytes: Uint8Array): DiskRef
  /** Reads a whole overflow chain of `length` bytes. */
  readChain(ref: DiskRef, length: number): Uint8Array
}

/**
 * Encodes node `n` into `page` (zeroed, pageSize bytes) and seals it. Values and keys that do
 * not fit inline are written to overflow chains through `io`; an inline-able value that was
 * already in a chain keeps its chain. Children must all be on disk, unless `child` says how to
 * point at one that is not (a page published for shared-memory reads names it by id alone).
 * Cost: O(pageSize).
 */
export function encodeNode(n: Node, page: Uint8Array, layout: Layout, io: ChainIO, child: (ref: Ref) => DiskRef = diskRef): void {
  const dv = view(page)
  let at = HEADER_SIZE
  const putRef = (r: DiskRef) => {
    dv.setUint32(at, r.slot)
    dv.setFloat64(at + 4, r.id)
    at += REF_SIZE
  }
  const keyChains: DiskRef[] = []
  const putKey = (k: Uint8Array, overflow: boolean) => {
    if (overflow) {
      const ref = io.writeChain(k)
      keyChains.push(ref)
      putRef(ref)
    } else {
      page.set(k, at)
      at += k.length
    }
  }
  if (n.leaf) {
    for (let i = 0; i < n.keys.length; i++) {
      const k = n.keys[i]!
      let v = n.vals[i]!
      const vlen = v.length
      const vOver = layout.valueOverflows(k.length, vlen)
      const kOver = layout.keyOverflows(k.length, true, vlen)
      dv.setUint8(at, (kOver ? KEY_OVERFLOW : 0) | (vOver ? VALUE_OVERFLOW : 0))
      dv.setUint16(at + 1, k.length)
      dv.setUint32(at + 3, vlen)
      at += 7
      putKey(k, kOver)
      if (vOver) {
        if (!(v instanceof Overflow)) {
          const ref = io.writeChain(v)
          v = new Overflow(ref.slot, ref.id, vlen)
          n.vals[i] = v
        }
        putRef(v)
      } else {
        if (v instanceof Overflow) v = io.readChain(v, v.length)
        page.set(v, at)
        at += vlen
      }
    }
  } else {
    putRef(child(n.kids[0]!))
    for (let i = 0; i < n.keys.length; i++) {
      const k = n.keys[i]!
      const kOver = layout.keyOverflows(k.length, false)
      dv.setUint8(at, kOver ? KEY_OVERFLOW : 0)
      dv.setUint16(at + 1, k.length)
      at += 3
      putKey(k, kOver)
      putRef(child(n.kids[i + 1]!))
    }
  }
  if (at > page.length) throw new Error(`cowdb invariant violated: node ${n.id} encodes to ${at} bytes > page`)
  if (keyChains.length) n.keyChains = keyChains
  sealPage(page, n.leaf ? PageType.Leaf : PageType.Branch, n.count, n.id, n.gen, at - HEADER_SIZE)
}

/**
 * Decodes a checked branch or leaf page into a Node. Keys and inline values are views into
 * `page`, which must therefore never be modified afterwards. Cost: O(pageSize).
 */
export function decodeNode(page: Uint8Array, slot: number, h: PageHeader, layout: Layout, io: ChainIO): Node {
  const dv = view(page)
  const fail = (why: string): never => {
    throw new CorruptionError(`cowdb: page ${h.id} at slot ${slot} is corrupt: ${why}`, slot, h.id)
  }
  if (h.type !== PageType.Leaf && h.type !== PageType.Branch) fail(`expected a tree page, found type ${h.type}`)
  const leaf = h.type === PageType.Leaf
  const n = new Node(leaf, h.id, h.gen, -1)
  n.slot = slot
  const end = HEADER_SIZE + h.payload
  let at = HEADER_SIZE
  const need = (bytes: number) => {
    if (at + bytes > end) fail('entry runs past the payload')
  }
  const getRef = (): DiskRef => {
    need(REF_SIZE)
    const r = { slot: dv.getUint32(at), id: dv.getFloat64(at + 4) }
    at += REF_SIZE
    return r
  }
  const chains: DiskRef[] = []
  const getKey = (klen: number, overflow: boolean): Uint8Array => {
    if (overflow) {
      const ref = getRef()
      chains.push(ref)
      return io.readChain(ref, klen)
    }
    need(klen)
    const k = page.subarray(at, at + klen)
    at += klen
    return k
  }
  if (leaf) {
    for (let i = 0; i < h.count; i++) {
      need(7)
      const flags = dv.getUint8(at)
      const klen = dv.getUint16(at + 1)
      const vlen = dv.getUint32(at + 3)
      at += 7
      n.keys.push(getKey(klen, (flags & KEY_OVERFLOW) !== 0))
      if (flags & VALUE_OVERFLOW) {
        const r = getRef()
        n.vals.push(new Overflow(r.slot, r.id, vlen))
      } else {
        need(vlen)
        n.vals.push(page.subarray(at, at + vlen))
        at += vlen
      }
    }
  } else {
    if (h.count < 1) fail('branch without children')
    n.kids.push(getRef())
    for (let i = 1; i < h.count; i++) {
      need(3)
      const flags = dv.getUint8(at)
      const klen = dv.getUint16(at + 1)
      at += 3
      n.keys.push(getKey(klen, (flags & KEY_OVERFLOW) !== 0))
      n.kids.push(getRef())
    }
  }
  if (at !== end) fail(`${end - at} payload bytes after the last entry`)
  if (chains.length) n.keyChains = chains
  n.size = layout.measure(n)
  return n
}

/** Encodes an overflow index page listing data pages, with a pointer to the next index page. */
export function encodeIndexPage(page: Uint8Array, id: number, gen: number, next: DiskRef | null, refs: DiskRef[]): void {
  const dv = view(page)
  let at = HEADER_SIZE
  dv.setUint32(at, next ? next.slot : NO_SLOT)
  dv.setFloat64(at + 4, next ? next.id : 0)
  at += REF_SIZE
  for (const r of refs) {
    dv.setUint32(at, r.slot)
    dv.setFloat64(at + 4, r.id)
    at += REF_SIZE
  }
  sealPage(page, PageType.OverflowIndex, refs.length, id, gen, at - HEADER_SIZE)
}

/**
 * Decodes a checked overflow index page read from `slot`: the next index page (or null) and the
 * data pages. Throws CorruptionError if its count and payload disagree. Cost: O(count).
 */
export function decodeIndexPage(page: Uint8Array, h: PageHeader, slot: number): { next: DiskRef | null; refs: DiskRef[] } {
  if (h.payload !== REF_SIZE * (h.count + 1)) {
    throw new CorruptionError(`cowdb: page ${h.id} at slot ${slot} is corrupt: ${h.count} pointers do not fill its payload of ${h.payload} bytes`, slot, h.id)
  }
  const dv = view(page)
  let at = HEADER_SIZE
  const nextSlot = dv.getUint32(at)
  const next = nextSlot === NO_SLOT ? null : { slot: nextSlot, id: dv.getFloat64(at + 4) }
  at += REF_SIZE
  const refs: DiskRef[] = []
  for (let i = 0; i < h.count; i++, at += REF_SIZE) refs.push({ slot: dv.getUint32(at), id: dv.getFloat64(at + 4) })
  return { next, refs }
}

/** How many data-page pointers fit in one overflow index page. */
export function indexCapacity(pageSize: number): number {
  return Math.floor((pageSize - HEADER_SIZE - REF_SIZE) / REF_SIZE)
}

/** The DiskRef of a child that has been written. */
export function diskRef(ref: DiskRef | Node): DiskRef {
  if (isNode(ref) && ref.slot < 0) throw new Error(`cowdb invariant violated: child ${ref.id} not written before its parent`)
  return { slot: ref.slot, id: ref.id }
}

function view(page: Uint8Array): DataView {
  return new DataView(page.buffer, page.byteOffset, page.byteLength)
}
function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0')
}
