// Compaction: free space in the middle of the pages file can be reused but not given back to the
// OS; only a free tail can be cut. So compaction copies every live page at or above a cut (and
// the pages on the paths to them, whose child pointers change) into new in-memory nodes, which
// the next checkpoint writes to the lowest free slots. Every root moves to its copy in that one
// checkpoint; the old pages are then garbage, and a gc frees them and truncates the tail.
//
// Shared subtrees stay shared (a page is copied once, however many roots reach it). A copy keeps
// its page's generation: it is shared with exactly the snapshots the original was, so the cheap
// free path must treat it the same way. Overflow values with a page at or above the cut are
// read back into the copy, and encoding writes them to a new chain (overflowing keys always are).

import type { Tree } from './btree.js'
import { Node, Overflow, isNode, type Ref } from './node.js'

export class Relocator {
  private readonly done = new Map<number | Node, Ref>()
  /** Pages copied so far. */
  copied = 0

  constructor(
    private readonly t: Tree,
    private readonly cut: number,
  ) {}

  /** The root to use instead of `root`: itself when nothing under it sits at or above the cut. */
  root(root: Ref | null): Ref | null {
    return root ? this.relocate(root) : null
  }

  private relocate(ref: Ref): Ref {
    const memo = isNode(ref) && ref.slot < 0 ? ref : ref.slot
    const seen = this.done.get(memo)
    if (seen) return seen
    const n = this.t.load(ref)
    const kids = n.leaf ? null : n.kids.map((k) => this.relocate(k))
    const high = (r: { slot: number }) => r.slot >= this.cut
    const chainHigh = (r: { slot: number; id: number }) => this.t.pager.chainPagesFast(r).some(high)
    const kidsMoved = kids !== null && kids.some((k, i) => k !== n.kids[i])
    const valuesHigh = n.leaf && n.vals.some((v) => v instanceof Overflow && chainHigh(v))
    const keysHigh = n.keyChains?.some(chainHigh) ?? false
    let out: Ref = ref
    if (kidsMoved || valuesHigh || keysHigh || high(n)) {
      const c = new Node(n.leaf, this.t.pager.newId(), n.gen, this.t.epoch)
      c.keys = n.keys.slice()
      if (kids) c.kids = kids
      else c.vals = n.vals.map((v) => (v instanceof Overflow && chainHigh(v) ? this.t.pager.readChain(v, v.length) : v))
      c.size = n.size
      this.copied++
      out = c
    }
    this.done.set(memo, out)
    return out
  }
}
