// Reads over encoded tree pages found by page id, outside the engine: the browser's main thread
// reads the pages its worker published in shared memory (packages/browser/src/shared-cache.ts).
// The pages are in the on-disk format (page.ts); beside each one its source keeps a directory of
// entry offsets, so a page is binary-searched in place, never decoded or copied whole.
//
// A page is found by id, checked (magic, type, id, bounds), read in place, and, once what the read
// needs is taken out of it (a child id, an entry's bytes), confirmed unchanged by its source (the
// bytes may be overwritten at any moment by a writer in another thread; the source says whether
// that happened meanwhile). A page id's content never changes (ids are never reused), so pages
// confirmed one by one under one root are one consistent state. Anything missing, odd, or held
// in an overflow chain is a MISS: the caller asks the engine instead. Nothing here throws on bad
// bytes, and every loop is bounded by the page's size.

import type { KeyRange } from './keys.js'
import { HEADER_SIZE, REF_SIZE } from './node.js'
import { KEY_OVERFLOW, MAGIC, PageType, VALUE_OVERFLOW } from './page-format.js'

/** What a read answers when a page it needs is not there (or changed under it): ask the engine. */
export const MISS: unique symbol = Symbol('cowdb: page missing')
export type Miss = typeof MISS

/** Where encoded pages are found by id, with a version to confirm each one was not overwritten. */
export interface PageSource {
  /** Every byte of the source; pages and their directories are found at offsets into it. */
  readonly bytes: Uint8Array
  readonly view: DataView
  readonly pageSize: number
  /** The offset in `bytes` of page `id`, or -1 when the source does not hold it; sets `version`. */
  find(id: number): number
  /** The version of the page the last find() returned. */
  readonly version: number
  /** Whether the page at `at` is still as it was at `version` (nothing was written to it since). */
  unchanged(at: number, version: number): boolean
  /** The offset in `bytes` of entry `i` (leaf) or separator `i` (branch) of the page at `at`. */
  entryAt(at: number, i: number): number
}

/** Deeper than any tree of 2^53 pages: a loop of torn pointers ends here. */
const MAX_DEPTH = 48
/** Bytes before a leaf entry's key (flags, key length, value length) and a separator's (flags, key length). */
const LEAF_KEY = 7
const SEP_KEY = 3

// The page last opened (open()): single-threaded, so module state saves an object per page.
let leaf = false
let end = 0

/** Checks that the page at `at` is tree page `id`; sets `leaf` and `end`; returns its count, or -1. */
function open(src: PageSource, at: number, id: number): number {
  const v = src.view
  if (v.getUint16(at) !== MAGIC || v.getFloat64(at + 8) !== id) return -1
  const type = src.bytes[at + 2]
  if (type !== PageType.Leaf && type !== PageType.Branch) return -1
  const payload = v.getUint32(at + 28)
  if (payload > src.pageSize - HEADER_SIZE) return -1
  leaf = type === PageType.Leaf
  end = at + HEADER_SIZE + payload
  const count = v.getUint16(at + 4)
  return !leaf && count < 1 ? -1 : count
}

/** The offset of entry `i`, or -1 if it lies outside the page's payload. */
function entry(src: PageSource, at: number, i: number, head: number): number {
  const e = src.entryAt(at, i)
  return e >= at + HEADER_SIZE && e + head <= end ? e : -1
}

/** Bytewise comparison of `len` bytes at `at` with `key` (<0, 0, >0). */
function compareAt(b: Uint8Array, at: number, len: number, key: Uint8Array): number {
  const n = len < key.length ? len : key.length
  for (let i = 0; i < n; i++) {
    const d = b[at + i]! - key[i]!
    if (d !== 0) return d
  }
  return len - key.length
}

/**
 * First index among the first `n` keys of the open page that is >= `key` (or > with `upper`),
 * or -1 when a key cannot be compared in place (in an overflow chain, or out of bounds).
 */
function bound(src: PageSource, at: number, n: number, key: Uint8Array, upper: boolean): number {
  const head = leaf ? LEAF_KEY : SEP_KEY
  let lo = 0
  let hi = n
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const e = entry(src, at, mid, head)
    if (e < 0 || src.bytes[e]! & KEY_OVERFLOW) return -1
    const klen = src.view.getUint16(e + 1)
    if (e + head + klen > end) return -1
    const c = compareAt(src.bytes, e + head, klen, key)
    if (upper ? c <= 0 : c < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** The id of child `j` of the open branch page, or -1. */
function childId(src: PageSource, at: number, j: number): number {
  let ref = at + HEADER_SIZE
  if (j > 0) {
    const e = entry(src, at, j - 1, SEP_KEY)
    if (e < 0) return -1
    ref = e + SEP_KEY + (src.bytes[e]! & KEY_OVERFLOW ? REF_SIZE : src.view.getUint16(e + 1))
  }
  return ref + REF_SIZE <= end ? src.view.getFloat64(ref + 4) : -1
}

/** Where entry `e`'s key and value are: [key offset, key length, value offset, value length], or null for a chained one. */
function leafEntry(src: PageSource, e: number): [number, number, number, number] | null {
  const flags = src.bytes[e]!
  if (flags & (KEY_OVERFLOW | VALUE_OVERFLOW)) return null
  const klen = src.view.getUint16(e + 1)
  const vlen = src.view.getUint32(e + 3)
  const k = e + LEAF_KEY
  return k + klen + vlen <= end ? [k, klen, k + klen, vlen] : null
}

/**
 * The stored value of `key` (encoded) in the tree whose root page is `root` (0: the empty tree):
 * a copy of its bytes, undefined when absent, or MISS. Cost: O(depth x log fanout) compares.
 */
export function readValue(src: PageSource, root: number, key: Uint8Array): Uint8Array | undefined | Miss {
  let id = root
  for (let depth = 0; id !== 0 && depth < MAX_DEPTH; depth++) {
    const at = src.find(id)
    if (at < 0) return MISS
    const version = src.version
    const n = open(src, at, id)
    if (n < 0) return MISS
    if (!leaf) {
      const j = bound(src, at, n - 1, key, true)
      const child = j < 0 ? -1 : childId(src, at, j)
      if (!(child > 0) || !src.unchanged(at, version)) return MISS
      id = child
      continue
    }
    const i = bound(src, at, n, key, false)
    if (i < 0) return MISS
    let out: Uint8Array | undefined
    if (i < n) {
      const e = entry(src, at, i, LEAF_KEY)
      if (e < 0) return MISS
      const klen = src.view.getUint16(e + 1)
      if (!(src.bytes[e]! & KEY_OVERFLOW) && compareAt(src.bytes, e + LEAF_KEY, klen, key) === 0) {
        const where = leafEntry(src, e)
        if (!where) return MISS
        out = src.bytes.slice(where[2], where[2] + where[3])
      }
    }
    return src.unchanged(at, version) ? out : MISS
  }
  return id === 0 ? undefined : MISS
}

/**
 * Appends the entries in `r` (encoded keys and stored values, copied) in key order, or reverse,
 * until `out` holds `limit`; false (with `out` as it was) on a MISS. Cost: O(log n + entries).
 */
export function readRange(src: PageSource, root: number, r: KeyRange, reverse: boolean, limit: number, out: [Uint8Array, Uint8Array][]): boolean {
  const start = out.length
  if (root === 0 || limit <= 0 || rangeNode(src, root, r, reverse, start + limit, out, null, 0)) return true
  out.length = start
  return false
}

/** The number of keys in `r`, or MISS. Cost: O(log n + leaves in the range). */
export function readCount(src: PageSource, root: number, r: KeyRange): number | Miss {
  const total = { n: 0 }
  return root === 0 ? 0 : rangeNode(src, root, r, false, Infinity, null, total, 0) ? total.n : MISS
}

/** The walk of scan and count: entries copied into `out`, or counted into `total`. False on a MISS. */
function rangeNode(src: PageSource, id: number, r: KeyRange, reverse: boolean, limit: number, out: [Uint8Array, Uint8Array][] | null, total: { n: number } | null, depth: number): boolean {
  if (depth >= MAX_DEPTH) return false
  const at = src.find(id)
  if (at < 0) return false
  const version = src.version
  const n = open(src, at, id)
  if (n < 0) return false
  if (leaf) {
    const a = r.lo ? bound(src, at, n, r.lo, !r.loInclusive) : 0
    const b = r.hi ? bound(src, at, n, r.hi, r.hiInclusive) : n
    if (a < 0 || b < 0) return false
    if (!out) {
      if (!src.unchanged(at, version)) return false
      total!.n += Math.max(0, b - a)
      return true
    }
    const got: [Uint8Array, Uint8Array][] = []
    const room = limit - out.length
    for (let k = 0; k < b - a && got.length < room; k++) {
      const e = entry(src, at, reverse ? b - 1 - k : a + k, LEAF_KEY)
      const where = e < 0 ? null : leafEntry(src, e)
      if (!where) return false
      got.push([src.bytes.slice(where[0], where[0] + where[1]), src.bytes.slice(where[2], where[2] + where[3])])
    }
    if (!src.unchanged(at, version)) return false
    for (const g of got) out.push(g)
    return true
  }
  const first = r.lo ? bound(src, at, n - 1, r.lo, true) : 0
  const last = r.hi ? bound(src, at, n - 1, r.hi, true) : n - 1
  if (first < 0 || last < 0) return false
  const kids: number[] = []
  for (let j = first; j <= last; j++) {
    const child = childId(src, at, j)
    if (!(child > 0)) return false
    kids.push(child)
  }
  if (!src.unchanged(at, version)) return false
  if (reverse) kids.reverse()
  for (const child of kids) {
    if (out && out.length >= limit) break
    if (!rangeNode(src, child, r, reverse, limit, out, total, depth + 1)) return false
  }
  return true
}

/**
 * The offsets (from the page's start) of each entry of a leaf, or each separator of a branch, of
 * the encoded tree page `page`, written to `out`: the directory a PageSource keeps beside it.
 * Returns how many (-1 if `out` is too short). Cost: O(entries).
 */
export function entryOffsets(page: Uint8Array, out: Uint16Array): number {
  const v = new DataView(page.buffer, page.byteOffset, page.byteLength)
  const isLeaf = page[2] === PageType.Leaf
  const n = isLeaf ? v.getUint16(4) : v.getUint16(4) - 1
  if (n > out.length) return -1
  let at = HEADER_SIZE + (isLeaf ? 0 : REF_SIZE)
  for (let i = 0; i < n; i++) {
    out[i] = at
    const flags = page[at]!
    const klen = flags & KEY_OVERFLOW ? REF_SIZE : v.getUint16(at + 1)
    if (isLeaf) at += LEAF_KEY + klen + (flags & VALUE_OVERFLOW ? REF_SIZE : v.getUint32(at + 3))
    else at += SEP_KEY + klen + REF_SIZE
  }
  return n
}

/** The most entries or separators a page of `pageSize` bytes can hold (a leaf entry takes at least 8 bytes). */
export function maxEntries(pageSize: number): number {
  return Math.floor((pageSize - HEADER_SIZE) / 8)
}
