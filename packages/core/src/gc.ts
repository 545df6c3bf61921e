// Garbage collection by reachability marking: a slot is live if any root (head, snapshot,
// durable root, open reader) reaches it; every other slot is free. Shared subtrees are marked
// once: pages are immutable, so a marked page's subtree is already marked.
//
// The cheap common case does not come here: a page copied away from whose generation is newer
// than every retained root is freed at the next checkpoint without a walk (see Database).

import { forEachPage, type Tree } from './btree.js'
import { Overflow, type Node, type Ref } from './node.js'

/** Slots reachable from `roots`. Cost: O(reachable pages), each read once. */
export function markReachable(t: Tree, roots: (Ref | null)[]): Set<number> {
  const marked = new Set<number>()
  const seenInMemory = new Set<Node>()
  const markChain = (ref: { slot: number; id: number }) => {
    if (marked.has(ref.slot)) return
    for (const p of t.pager.chainPagesFast(ref)) marked.add(p.slot)
  }
  for (const root of roots) {
    forEachPage(t, root, (n) => {
      if (n.slot >= 0) {
        if (marked.has(n.slot)) return false
        marked.add(n.slot)
      } else {
        if (seenInMemory.has(n)) return false
        seenInMemory.add(n)
      }
      if (n.keyChains) for (const c of n.keyChains) markChain(c)
      if (n.leaf) for (const v of n.vals) if (v instanceof Overflow) markChain(v)
      return true
    })
  }
  return marked
}

/** Slots in [0, slotCount) that are not marked. Cost: O(slotCount). */
export function unmarked(slotCount: number, marked: Set<number>): number[] {
  const free: number[] = []
  for (let s = 0; s < slotCount; s++) if (!marked.has(s)) free.push(s)
  return free
}
