// Garbage collection by reachability marking: a slot is live if any root (head, snapshot,
// durable root, open reader) reaches it; every other slot is free. Shared subtrees are marked
// once: pages are immutable, so a marked page's subtree is already marked.
//
// The cheap common case does not come here: a page copied away from whose generation is newer
// than every retained root is freed at the next checkpoint without a walk (see Database).

import type { Tree } from './btree.js'
import { Overflow, isNode, type Node, type Ref } from './node.js'

/**
 * Marks the slots reachable from `roots`, a bounded number of pages per step, so a gc can let
 * writers run between steps. Sound only while the pages it walks cannot change: the caller
 * freezes the tree (in-memory nodes become immutable) and holds checkpoints off (no slot is
 * freed or reused) until marking ends. Commits meanwhile only add new nodes, whose on-disk
 * children the roots already reach.
 */
export class Marker {
  readonly marked = new Set<number>()
  private readonly seenInMemory = new Set<Node>()
  private readonly stack: Ref[]

  constructor(
    private readonly t: Tree,
    roots: (Ref | null)[],
  ) {
    this.stack = roots.filter((r): r is Ref => r !== null)
  }

  /** Visits up to `budget` pages; true when every reachable page is marked. */
  step(budget: number): boolean {
    while (this.stack.length && budget-- > 0) {
      const ref = this.stack.pop()!
      if (!isNode(ref) && this.marked.has(ref.slot)) continue
      const n = this.t.load(ref)
      if (n.slot >= 0) {
        if (this.marked.has(n.slot)) continue
        this.marked.add(n.slot)
      } else {
        if (this.seenInMemory.has(n)) continue
        this.seenInMemory.add(n)
      }
      if (n.keyChains) for (const c of n.keyChains) this.markChain(c)
      if (n.leaf) {
        for (const v of n.vals) if (v instanceof Overflow) this.markChain(v)
      } else {
        for (let i = n.kids.length - 1; i >= 0; i--) this.stack.push(n.kids[i]!)
      }
    }
    return this.stack.length === 0
  }

  private markChain(ref: { slot: number; id: number }): void {
    if (this.marked.has(ref.slot)) return
    for (const p of this.t.pager.chainPagesFast(ref)) this.marked.add(p.slot)
  }
}

/** Slots reachable from `roots`, in one go. Cost: O(reachable pages), each read once. */
export function markReachable(t: Tree, roots: (Ref | null)[]): Set<number> {
  const m = new Marker(t, roots)
  m.step(Infinity)
  return m.marked
}

/** Slots in [0, slotCount) that are not marked. Cost: O(slotCount). */
export function unmarked(slotCount: number, marked: Set<number>): number[] {
  const free: number[] = []
  for (let s = 0; s < slotCount; s++) if (!marked.has(s)) free.push(s)
  return free
}
