// Compaction's relocation: free space in the middle of the pages file can be reused but not
// given back to the OS; only a free tail can be cut. So a compaction step picks a cut (a slot
// number) and copies every live page at or above it into a new in-memory node, with the pages
// on the paths to them (their child pointers change); the next checkpoint writes the copies to
// the lowest free slots and switches every root at once; the originals are then freed and the
// free tail cut (space.ts).
//
// The walk is bounded: the marking that precedes it (gc.ts, with the same cut) found the pages
// whose subtree holds a page at or above the cut; every other on-disk page is left unread.
// Nodes only in memory are walked (they are few, and may point at anything); they keep their
// identity and get their child pointers changed in place, which changes no content a reader can
// see (a copy holds exactly what its original held). Shared subtrees stay shared: a page is
// copied once, however many roots reach it. A copy keeps its page's generation: it is reached
// by exactly the roots its original was, so the cheap free path and the deadlists must treat it
// the same way. Overflow values with a page at or above the cut are read back into the copy,
// and the checkpoint writes them to a new chain; overflowing keys always get a new chain.

import type { Tree } from './btree.js'
import { Node, Overflow, isNode, type DiskRef, type Ref } from './node.js'

/** A copy made of an on-disk page, and the slot its original frees once the copy is durable. */
export type Moved = { copy: Node; from: number }

export class Relocator {
  /** On-disk pages already seen, by slot: the ref to use instead (a copy, or itself). */
  private readonly done = new Map<number, Ref>()
  private readonly seenInMemory = new Set<Node>()
  /** Overflow values read back, by their chain's first slot (versions of a leaf share chains). */
  private readonly values = new Map<number, Uint8Array>()
  /** The pages copied, with the slots of their originals. */
  readonly moved: Moved[] = []
  /** Overflow chain pages that go with the originals (key chains, and value chains read back). */
  readonly chainSlots = new Set<number>()

  constructor(
    private readonly t: Tree,
    private readonly cut: number,
    /** Whether the marking saw this on-disk page and nothing under it at or above the cut. */
    private readonly clean: (slot: number) => boolean,
  ) {}

  /** The root to use instead of `root`: itself when nothing under it sits at or above the cut. */
  root(root: Ref | null): Ref | null {
    return root ? this.relocate(root) : null
  }

  /**
   * Whether anything under `root` would be copied: a reader pinned on it would keep reading the
   * originals, which must then stay (compaction waits instead). Cost: O(pages that would move).
   */
  reaches(root: Ref | null, seen = new Set<Ref>()): boolean {
    if (!root || seen.has(root)) return false
    seen.add(root)
    if (!isNode(root) || root.slot >= 0) {
      if (root.slot >= this.cut) return true
      if (this.clean(root.slot)) return false
    }
    const n = this.t.load(root)
    if (n.keyChains?.some((c) => this.chainHigh(c))) return true
    if (n.leaf) return n.vals.some((v) => v instanceof Overflow && this.chainHigh(v))
    return n.kids.some((k) => this.reaches(k, seen))
  }

  private relocate(ref: Ref): Ref {
    if (isNode(ref) && ref.slot < 0) {
      if (!this.seenInMemory.has(ref)) {
        this.seenInMemory.add(ref)
        this.fixInPlace(ref)
      }
      return ref
    }
    const seen = this.done.get(ref.slot)
    if (seen) return seen
    if (ref.slot < this.cut && this.clean(ref.slot)) return ref
    const n = this.t.load(ref)
    const kids = n.leaf ? null : n.kids.map((k) => this.relocate(k))
    const vals = n.leaf ? n.vals.map((v) => this.valueOf(v)) : null
    const changed = n.slot >= this.cut || n.keyChains?.some((c) => this.chainHigh(c)) || kids?.some((k, i) => k !== n.kids[i]) || vals?.some((v, i) => v !== n.vals[i])
    let out: Ref = ref
    if (changed) {
      const c = new Node(n.leaf, this.t.pager.newId(), n.gen, this.t.epoch)
      c.keys = n.keys.slice()
      if (kids) c.kids = kids
      else c.vals = vals!
      c.size = n.size
      this.moved.push({ copy: c, from: n.slot })
      // the copy's keys get new chains when it is written: the original's go with it
      if (n.keyChains) for (const k of n.keyChains) this.addChain(k)
      out = c
    }
    this.done.set(n.slot, out)
    return out
  }

  /** A node only in memory: its children (or high overflow values) are replaced by their copies, in place. */
  private fixInPlace(n: Node): void {
    if (n.leaf) {
      for (let i = 0; i < n.vals.length; i++) n.vals[i] = this.valueOf(n.vals[i]!)
    } else {
      for (let i = 0; i < n.kids.length; i++) n.kids[i] = this.relocate(n.kids[i]!)
    }
  }

  /** A stored value, read back into memory when its chain has a page at or above the cut. */
  private valueOf(v: Uint8Array | Overflow): Uint8Array | Overflow {
    if (!(v instanceof Overflow) || !this.chainHigh(v)) return v
    let bytes = this.values.get(v.slot)
    if (!bytes) {
      bytes = this.t.pager.readChain(v, v.length)
      this.values.set(v.slot, bytes)
      this.addChain(v)
    }
    return bytes
  }

  private chainHigh(ref: DiskRef): boolean {
    return ref.slot >= this.cut || !this.clean(ref.slot)
  }

  private addChain(ref: DiskRef): void {
    for (const p of this.t.pager.chainPagesFast(ref)) this.chainSlots.add(p.slot)
  }
}
