// Garbage collection by reachability marking: a slot is live if any root (head, snapshot,
// durable root, open reader) reaches it; every other slot is free. Shared subtrees are marked
// once: pages are immutable, so a marked page's subtree is already marked.
//
// The same walk serves compaction: given a cut (a slot number), it also finds the pages whose
// subtree holds a page at or above the cut. Those, and only those, must be copied when the
// pages above the cut move down (their child pointers change), so the relocation that follows
// never has to walk the whole tree again.
//
// The cheap common case does not come here: a page copied away from whose generation is newer
// than every retained root is freed at the next checkpoint without a walk (see space.ts).

import type { Tree } from './btree.js'
import { Overflow, isNode, type DiskRef, type Node, type Ref } from './node.js'

/** A branch being walked: the next child to visit, and whether a page under it so far is high. */
type Frame = { node: Node; next: number; high: boolean }

/**
 * Marks the slots reachable from `roots`, a bounded number of pages per step, so a gc can let
 * writers run between steps. Sound only while the pages it walks cannot change: the caller
 * freezes the tree (in-memory nodes become immutable) and holds checkpoints off (no slot is
 * freed or reused) until marking ends. Commits meanwhile only add new nodes, whose on-disk
 * children the roots already reach.
 */
export class Marker {
  readonly marked = new Set<number>()
  /**
   * With a cut: the on-disk pages (and overflow chains, by their first slot) whose subtree holds
   * a page at or above the cut. Small: the high pages and their ancestors.
   */
  readonly above = new Set<number>()
  private readonly seenInMemory = new Set<Node>()
  private readonly memoryAbove = new Set<Node>()
  private readonly roots: Ref[]
  private readonly stack: Frame[] = []

  constructor(
    private readonly t: Tree,
    roots: (Ref | null)[],
    /** Slots at or above this are "high" (compaction moves them); Infinity: plain marking. */
    private readonly cut = Infinity,
  ) {
    this.roots = roots.filter((r): r is Ref => r !== null)
  }

  /** Visits up to `budget` pages; true when every reachable page is marked. Depth first, each page once. */
  step(budget: number): boolean {
    while (budget > 0) {
      const top = this.stack[this.stack.length - 1]
      if (!top) {
        const root = this.roots.pop()
        if (!root) return true
        budget -= this.enter(root, undefined)
        continue
      }
      if (top.next < top.node.kids.length) {
        budget -= this.enter(top.node.kids[top.next++]!, top)
        continue
      }
      this.stack.pop()
      this.finish(top.node, top.high, this.stack[this.stack.length - 1])
    }
    return this.stack.length === 0 && this.roots.length === 0
  }

  /** Visits `ref` from `parent`: a leaf (or a page seen before) is done at once, a branch is pushed. Returns pages loaded. */
  private enter(ref: Ref, parent: Frame | undefined): number {
    const inMemory = isNode(ref) && ref.slot < 0
    if (inMemory ? this.seenInMemory.has(ref) : this.marked.has(ref.slot)) {
      if (parent && (inMemory ? this.memoryAbove.has(ref) : this.above.has(ref.slot))) parent.high = true
      return 0
    }
    const n = this.t.load(ref)
    if (n.slot >= 0) this.marked.add(n.slot)
    else this.seenInMemory.add(n)
    let high = n.slot >= this.cut
    if (n.keyChains) for (const c of n.keyChains) high = this.markChain(c) || high
    if (n.leaf) {
      for (const v of n.vals) if (v instanceof Overflow) high = this.markChain(v) || high
      this.finish(n, high, parent)
    } else {
      this.stack.push({ node: n, next: 0, high })
    }
    return 1
  }

  private finish(n: Node, high: boolean, parent: Frame | undefined): void {
    if (high) {
      if (n.slot >= 0) this.above.add(n.slot)
      else this.memoryAbove.add(n)
      if (parent) parent.high = true
    }
  }

  /** Marks a chain's pages; whether one of them is high. */
  private markChain(ref: DiskRef): boolean {
    if (this.marked.has(ref.slot)) return this.above.has(ref.slot)
    let high = false
    for (const p of this.t.pager.chainPagesFast(ref)) {
      this.marked.add(p.slot)
      if (p.slot >= this.cut) high = true
    }
    if (high) this.above.add(ref.slot)
    return high
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
