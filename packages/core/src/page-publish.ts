// Pages for readers outside the engine (the browser's shared-memory reads). A node is encoded in
// the on-disk page format (page.ts) with its children named by id: a child still in memory has
// no slot yet, and such a reader finds pages by id alone. And when a reader missed a page, the
// worker walks the read the way the engine would, to publish every page it touches.

import { lookup, walk, type PageLoader } from './btree.js'
import type { KeyRange } from './keys.js'
import { isNode, type DiskRef, type Layout, type Node, type Ref } from './node.js'
import { NO_SLOT, encodeNode } from './page.js'

/** Thrown inside encodeNode when a key or value would need an overflow chain written. */
const NEEDS_CHAIN = new Error('cowdb: not shareable')

/** A child pointer as a shared page carries it: its slot if it has one, and its id. */
const childById = (r: Ref): DiskRef => (isNode(r) && r.slot < 0 ? { slot: NO_SLOT, id: r.id } : { slot: r.slot, id: r.id })

/**
 * Encodes node `n` (frozen: it must never change again) into `page` (pageSize bytes) as the page
 * a reader looks up by `n.id`. False when it cannot be one page: a node still in memory with a
 * key or value that only an overflow chain, written by the next checkpoint, can hold. `n` is
 * never changed. Cost: O(pageSize) (with the checksum).
 */
export function encodeShared(n: Node, page: Uint8Array, layout: Layout, readChain: (ref: DiskRef, length: number) => Uint8Array): boolean {
  page.fill(0)
  try {
    encodeNode(n, page, layout, { writeChain: () => { throw NEEDS_CHAIN }, readChain }, childById)
    return true
  } catch (e) {
    if (e === NEEDS_CHAIN) return false
    throw e
  }
}

/** Calls `visit` with each node a lookup of `key` under `root` reads, root first. Cost: O(log n) page loads. */
export function visitPath(t: PageLoader, root: Ref | null, key: Uint8Array, visit: (n: Node) => void): void {
  lookup(watching(t, visit), root, key)
}

/**
 * Calls `visit` with each node a walk of `r` reads (in key order, or reverse) until `limit`
 * entries have been passed (Infinity: all of them). Cost: O(log n + entries / fanout) page loads.
 */
export function visitRange(t: PageLoader, root: Ref | null, r: KeyRange, reverse: boolean, limit: number, visit: (n: Node) => void): void {
  let seen = 0
  walk(watching(t, visit), root, r, reverse, () => ++seen < limit)
}

function watching(t: PageLoader, visit: (n: Node) => void): PageLoader {
  return {
    load(ref) {
      const n = t.load(ref)
      visit(n)
      return n
    },
  }
}
