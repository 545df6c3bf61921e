// Copy-on-write B+tree operations on pages. A write copies each page on its path the first time
// it touches it in an epoch (Tree.writable); later writes in the same epoch change that private
// copy in place, so a batch of 100,000 puts copies each touched page once. Nothing here does I/O
// except loading pages through the pager; writing pages out is the checkpoint's job.

import { compareKeys, type KeyRange } from './keys.js'
import { HEADER_SIZE, Node, REF_SIZE, isNode, valueLength, type Overflow, type Ref } from './node.js'
import type { Pager } from './pager.js'

export type StoredValue = Uint8Array | Overflow

/** The tree's write context: page loading, copying, and the current epoch and generation. */
export class Tree {
  /** Nodes created in this epoch may be changed in place; `freeze()` ends the epoch. */
  epoch = 1
  /** Generation stamped on new pages (the commit being made). */
  gen = 0
  /** The head the commit being made writes to (whose pages onCopy reports). */
  head = 'main'
  /**
   * Called with each page a write copies away from: an on-disk page, or a frozen node in memory
   * (a retained root may reach it, and a checkpoint write it out). The old page may be freeable.
   */
  onCopy: (old: Node) => void = () => {}

  constructor(readonly pager: Pager) {}

  get layout() {
    return this.pager.layout
  }

  /** The node behind a child pointer. Cost: O(1) if cached, else one page read. */
  load(ref: Ref): Node {
    return isNode(ref) ? ref : this.pager.node(ref)
  }

  /** `n` itself if it is private to this epoch, else a private copy. Cost: O(entries). */
  writable(n: Node): Node {
    if (n.slot < 0 && n.epoch === this.epoch) return n
    const c = new Node(n.leaf, this.pager.newId(), this.gen, this.epoch)
    c.keys = n.keys.slice()
    if (n.leaf) c.vals = n.vals.slice()
    else c.kids = n.kids.slice()
    c.size = n.size
    this.onCopy(n)
    return c
  }

  /** A new empty private node. */
  fresh(leaf: boolean): Node {
    return new Node(leaf, this.pager.newId(), this.gen, this.epoch)
  }

  /** Ends the epoch: every node existing now becomes immutable (it is shared by a snapshot or reader). */
  freeze(): void {
    this.epoch++
  }
}

/** First index whose key is >= `key`. Cost: O(log n) compares. */
export function lowerBound(keys: Uint8Array[], key: Uint8Array): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compareKeys(keys[mid]!, key) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** First index whose key is > `key` (for a branch: the child that holds `key`). Cost: O(log n). */
export function upperBound(keys: Uint8Array[], key: Uint8Array): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compareKeys(keys[mid]!, key) <= 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

// ---- reads --------------------------------------------------------------------------------------

/** What a read needs of the tree: loading pages (a reader may watch what it loads). */
export type PageLoader = Pick<Tree, 'load'>

/** The stored value of `key` under `root`. Cost: O(log n) page loads. */
export function lookup(t: PageLoader, root: Ref | null, key: Uint8Array): StoredValue | undefined {
  if (!root) return undefined
  let n = t.load(root)
  while (!n.leaf) n = t.load(n.kids[upperBound(n.keys, key)]!)
  const i = lowerBound(n.keys, key)
  return i < n.keys.length && compareKeys(n.keys[i]!, key) === 0 ? n.vals[i] : undefined
}

/** Index range [a, b) of a leaf's entries inside `r`. */
function leafSpan(n: Node, r: KeyRange): [number, number] {
  const a = r.lo ? (r.loInclusive ? lowerBound(n.keys, r.lo) : upperBound(n.keys, r.lo)) : 0
  const b = r.hi ? (r.hiInclusive ? upperBound(n.keys, r.hi) : lowerBound(n.keys, r.hi)) : n.keys.length
  return [a, b]
}

/** Index range [first, last] of a branch's children that may hold keys inside `r`. */
function kidSpan(n: Node, r: KeyRange): [number, number] {
  const first = r.lo ? upperBound(n.keys, r.lo) : 0
  const last = r.hi ? upperBound(n.keys, r.hi) : n.kids.length - 1
  return [first, last]
}

/**
 * Visits the entries in `r` in key order (or reverse) until `visit` returns false.
 * Cost: O(log n + k) page loads for k entries visited.
 */
export function walk(
  t: PageLoader,
  root: Ref | null,
  r: KeyRange,
  reverse: boolean,
  visit: (key: Uint8Array, value: StoredValue) => boolean,
): void {
  if (root) walkNode(t, root, r, reverse, visit)
}

function walkNode(t: PageLoader, ref: Ref, r: KeyRange, reverse: boolean, visit: (k: Uint8Array, v: StoredValue) => boolean): boolean {
  const n = t.load(ref)
  if (n.leaf) {
    const [a, b] = leafSpan(n, r)
    if (reverse) {
      for (let i = b - 1; i >= a; i--) if (!visit(n.keys[i]!, n.vals[i]!)) return false
    } else {
      for (let i = a; i < b; i++) if (!visit(n.keys[i]!, n.vals[i]!)) return false
    }
    return true
  }
  const [first, last] = kidSpan(n, r)
  if (reverse) {
    for (let i = last; i >= first; i--) if (!walkNode(t, n.kids[i]!, r, reverse, visit)) return false
  } else {
    for (let i = first; i <= last; i++) if (!walkNode(t, n.kids[i]!, r, reverse, visit)) return false
  }
  return true
}

// ---- writes -------------------------------------------------------------------------------------

/** Inserts or replaces `key`; returns the new root. Cost: O(log n) pages copied (once per epoch). */
export function insert(t: Tree, root: Ref | null, key: Uint8Array, value: StoredValue): Node {
  if (!root) {
    const leaf = t.fresh(true)
    leaf.keys.push(key)
    leaf.vals.push(value)
    leaf.size += t.layout.entrySize(key.length, valueLength(value))
    return leaf
  }
  const n = t.writable(t.load(root))
  insertInto(t, n, key, value)
  return fixRoot(t, n) as Node
}

function insertInto(t: Tree, n: Node, key: Uint8Array, value: StoredValue): void {
  const L = t.layout
  if (n.leaf) {
    const i = lowerBound(n.keys, key)
    if (i < n.keys.length && compareKeys(n.keys[i]!, key) === 0) {
      n.size += L.entrySize(key.length, valueLength(value)) - L.entrySize(key.length, valueLength(n.vals[i]!))
      n.vals[i] = value
    } else {
      n.keys.splice(i, 0, key)
      n.vals.splice(i, 0, value)
      n.size += L.entrySize(key.length, valueLength(value))
    }
    return
  }
  const i = upperBound(n.keys, key)
  const c = t.writable(t.load(n.kids[i]!))
  n.kids[i] = c
  insertInto(t, c, key, value)
  fixChild(t, n, i, false)
}

/** Deletes `key` if present; returns the new root (the same one if absent). Cost: O(log n). */
export function remove(t: Tree, root: Ref | null, key: Uint8Array): Ref | null {
  if (!root || lookup(t, root, key) === undefined) return root
  const n = t.writable(t.load(root))
  removeFrom(t, n, key)
  return fixRoot(t, n)
}

function removeFrom(t: Tree, n: Node, key: Uint8Array): void {
  if (n.leaf) {
    const i = lowerBound(n.keys, key)
    n.size -= t.layout.entrySize(key.length, valueLength(n.vals[i]!))
    n.keys.splice(i, 1)
    n.vals.splice(i, 1)
    return
  }
  const i = upperBound(n.keys, key)
  const c = t.writable(t.load(n.kids[i]!))
  n.kids[i] = c
  removeFrom(t, c, key)
  fixChild(t, n, i, true)
}

/**
 * Deletes every key in `r`. Subtrees wholly inside the range are dropped without being read;
 * only the (at most two) boundary paths are visited and copied. Returns the new root (the same
 * one if nothing was in range). Cost: O(log n) pages.
 */
export function removeRange(t: Tree, root: Ref | null, r: KeyRange): Ref | null {
  if (!root) return null
  const out = rangeFrom(t, root, r)
  if (out === UNCHANGED) return root
  return out ? fixRoot(t, t.load(out)) : null
}

/**
 * What rangeFrom returns when nothing under a node was in the range. Not the node itself: a node
 * private to this epoch is changed in place, so coming back as the same object says nothing.
 */
const UNCHANGED = Symbol('unchanged')

/** Deletes the keys in `r` under `ref`: the node that replaces it, null if emptied. */
function rangeFrom(t: Tree, ref: Ref, r: KeyRange): Ref | null | typeof UNCHANGED {
  const n = t.load(ref)
  if (n.leaf) {
    const [a, b] = leafSpan(n, r)
    if (a >= b) return UNCHANGED
    const w = t.writable(n)
    w.keys.splice(a, b - a)
    w.vals.splice(a, b - a)
    w.size = t.layout.measure(w)
    return w.keys.length ? w : null
  }
  const [first, last] = kidSpan(n, r)
  if (first > last) return UNCHANGED
  const rf = rangeFrom(t, n.kids[first]!, r)
  const rl = last !== first ? rangeFrom(t, n.kids[last]!, r) : UNCHANGED
  // Children strictly between first and last hold only keys in range: then something changed.
  if (rf === UNCHANGED && rl === UNCHANGED && last - first <= 1) return UNCHANGED
  const w = t.writable(n)
  // Rebuild children and separators: [0, first) kept, first and last replaced (or gone),
  // (first, last) dropped whole, (last, end) kept. A kept child's separator is the one that
  // preceded it, which still bounds it correctly once the middle is gone.
  const kids: Ref[] = []
  const seps: Uint8Array[] = []
  const keep = (kid: Ref | null, sepBefore: Uint8Array | undefined) => {
    if (!kid) return
    if (kids.length) seps.push(sepBefore!)
    kids.push(kid)
  }
  for (let i = 0; i < first; i++) keep(w.kids[i], w.keys[i - 1])
  const cut = kids.length
  keep(rf === UNCHANGED ? w.kids[first]! : rf, w.keys[first - 1])
  if (last !== first) keep(rl === UNCHANGED ? w.kids[last]! : rl, w.keys[last - 1])
  for (let i = last + 1; i < w.kids.length; i++) keep(w.kids[i], w.keys[i - 1])
  w.kids = kids
  w.keys = seps
  w.size = t.layout.measure(w)
  if (!kids.length) return null
  // Mend the children around the cut: both boundary children (at cut and cut + 1 when both
  // survive) and the kept one before them. From the right, as a merge moves the ones after it.
  for (const i of [cut + 1, cut, cut - 1]) if (i >= 0 && i < w.kids.length) mendAt(t, w, i)
  return w
}

function mendAt(t: Tree, p: Node, i: number): void {
  const c = t.load(p.kids[i]!)
  if (c.size > t.layout.pageSize || c.size < t.layout.minFill) {
    p.kids[i] = t.writable(c)
    fixChild(t, p, i, true)
  }
}

/**
 * After child `i` of `p` changed: split it if it outgrew a page, merge it with or refill it
 * from a sibling if it fell under the minimum fill. `p` may then outgrow a page itself; its
 * parent (or fixRoot) deals with that.
 */
function fixChild(t: Tree, p: Node, i: number, mend: boolean): void {
  const L = t.layout
  const c = p.kids[i] as Node
  if (c.size > L.pageSize) {
    const { sep, right } = split(t, c)
    p.keys.splice(i, 0, sep)
    p.kids.splice(i + 1, 0, right)
    p.size += L.separatorSize(sep.length)
    return
  }
  if (!mend || (c.count > 0 && c.size >= L.minFill)) return
  if (c.count === 0) {
    // An emptied child (its last key deleted) leaves the parent with its separator.
    const s = i > 0 ? i - 1 : 0
    if (p.keys.length) {
      p.size -= L.separatorSize(p.keys[s]!.length)
      p.keys.splice(s, 1)
    }
    p.kids.splice(i, 1)
    return
  }
  if (p.kids.length < 2) return
  const a = i > 0 ? i - 1 : i
  const left = t.writable(t.load(p.kids[a]!))
  const right = t.writable(t.load(p.kids[a + 1]!))
  p.kids[a] = left
  p.kids[a + 1] = right
  const sep = p.keys[a]!
  const merged = left.leaf
    ? left.size + right.size - HEADER_SIZE
    : left.size + right.size - HEADER_SIZE - REF_SIZE + L.separatorSize(sep.length)
  // Both outcomes start from the two siblings' entries in one node (a branch pulls the
  // separator down between them).
  const seam = left.leaf ? 0 : left.kids.length
  if (left.leaf) {
    left.keys.push(...right.keys)
    left.vals.push(...right.vals)
  } else {
    left.keys.push(sep, ...right.keys)
    left.kids.push(...right.kids)
  }
  left.size = merged
  if (merged <= L.pageSize) {
    p.size -= L.separatorSize(sep.length)
    p.keys.splice(a, 1)
    p.kids.splice(a + 1, 1)
    // Two branches joined: the children on either side of the seam are siblings now, and one may
    // be a page under the fill that had no sibling before (removeRange's boundary page, left as
    // the only child of its parent). Mend them, and so on down the seam.
    if (!left.leaf) for (const j of [seam, seam - 1]) mendAt(t, left, j)
    return
  }
  // Too big for one page: share the entries evenly instead.
  const s = split(t, left, right)
  p.size += L.separatorSize(s.sep.length) - L.separatorSize(sep.length)
  p.keys[a] = s.sep
  // Shared out, the children at the new edges may be under the fill with a sibling now beside them.
  if (!left.leaf) {
    mendAt(t, right, 0)
    mendAt(t, left, left.kids.length - 1)
  }
}

/** Grows a new root if `n` outgrew a page; drops roots left with one child; null if empty. */
function fixRoot(t: Tree, n: Node): Ref | null {
  if (n.size > t.layout.pageSize) {
    const { sep, right } = split(t, n)
    const root = t.fresh(false)
    root.kids = [n, right]
    root.keys = [sep]
    root.size = t.layout.measure(root)
    return root
  }
  let cur: Node = n
  while (!cur.leaf && cur.kids.length === 1) cur = t.load(cur.kids[0]!)
  if (cur.count === 0) return null
  return cur
}

/**
 * Splits `n` in two halves by bytes; `n` keeps the left half, the right half goes to `into`
 * (a fresh node if not given). Returns the separator: for leaves the shortest key that is
 * above the left half and not above the right half. Cost: O(entries).
 */
function split(t: Tree, n: Node, into?: Node): { sep: Uint8Array; right: Node } {
  const L = t.layout
  const right = into ?? t.fresh(n.leaf)
  const half = (n.size - HEADER_SIZE) / 2
  let acc = 0
  if (n.leaf) {
    let m = 0
    while (m < n.keys.length - 1) {
      const s = L.entrySize(n.keys[m]!.length, valueLength(n.vals[m]!))
      if (m > 0 && acc + s > half) break
      acc += s
      m++
    }
    right.keys = n.keys.splice(m)
    right.vals = n.vals.splice(m)
    n.size = L.measure(n)
    right.size = L.measure(right)
    return { sep: shortestSeparator(n.keys[m - 1]!, right.keys[0]!), right }
  }
  acc = REF_SIZE
  let m = 0
  while (m < n.keys.length - 2) {
    const s = L.separatorSize(n.keys[m]!.length)
    if (m > 0 && acc + s > half) break
    acc += s
    m++
  }
  // keys[m] moves up; the left keeps kids [0, m], the right gets kids (m, end].
  const sep = n.keys[m]!
  right.keys = n.keys.splice(m + 1)
  n.keys.pop()
  right.kids = n.kids.splice(m + 1)
  n.size = L.measure(n)
  right.size = L.measure(right)
  return { sep, right }
}

/** The shortest byte string s with a < s <= b (suffix truncation: smaller branch pages). */
export function shortestSeparator(a: Uint8Array, b: Uint8Array): Uint8Array {
  let p = 0
  while (p < a.length && p < b.length && a[p] === b[p]) p++
  return b.slice(0, Math.min(b.length, p + 1))
}

/**
 * How full a bulk build fills its pages. Leaves room for values that grow a little without a
 * split, as PostgreSQL's default B-tree fillfactor does (90); 85 before, which left the pages of
 * a loaded store a sixth empty (the browser bench's bytes per key: 159, SQLite 124 after VACUUM).
 */
export const BUILD_FILL = 0.9

/**
 * Builds a tree bottom-up from entries sorted by key (no duplicates), filling pages to
 * BUILD_FILL: how a large batch loads into an empty tree, with no search or split per key.
 * Cost: O(n).
 */
export function buildSorted(t: Tree, keys: Uint8Array[], values: StoredValue[]): Node | null {
  const b = new SortedBuilder(t)
  for (let i = 0; i < keys.length; i++) b.add(keys[i]!, values[i]!)
  return b.finish() as Node | null
}

/** A node being filled by SortedBuilder, with the first and last key under it. */
type Filling = { node: Node; first: Uint8Array; last: Uint8Array }

/**
 * buildSorted one entry at a time. Each level holds only the node it is filling; a node that is
 * full goes to `emit`, and what `emit` returns goes into its parent: with an `emit` that writes
 * the node out and returns its DiskRef, a tree of any size is built in O(height) memory (how
 * the format migration loads a store).
 */
export class SortedBuilder {
  private readonly levels: (Filling | undefined)[] = []
  private readonly fill: number

  constructor(
    private readonly t: Tree,
    private readonly emit: (n: Node) => Ref = (n) => n,
  ) {
    this.fill = Math.floor(t.layout.pageSize * BUILD_FILL)
  }

  /** Adds the next entry (its key above every key added before). Cost: O(1) amortized. */
  add(key: Uint8Array, value: StoredValue): void {
    const size = this.t.layout.entrySize(key.length, valueLength(value))
    let leaf = this.levels[0]
    if (leaf && leaf.node.size + size > this.fill) {
      this.close(0)
      leaf = undefined
    }
    if (!leaf) leaf = this.levels[0] = { node: this.t.fresh(true), first: key, last: key }
    leaf.node.keys.push(key)
    leaf.node.vals.push(value)
    leaf.node.size += size
    leaf.last = key
  }

  /** The root of everything added (null if nothing was), emitted too. Cost: O(height). */
  finish(): Ref | null {
    if (!this.levels.length) return null
    // closing a level may fill the one above and add a level: the length is read each time
    for (let i = 0; i < this.levels.length - 1; i++) if (this.levels[i]) this.close(i)
    const root = this.levels[this.levels.length - 1]!.node
    this.levels.length = 0
    // a top branch with a single child never happens (the level under it is never empty), but
    // the child is the root if it does
    return !root.leaf && root.kids.length === 1 ? root.kids[0]! : this.emit(root)
  }

  /** Emits level i's node into level i + 1. */
  private close(i: number): void {
    const f = this.levels[i]!
    this.levels[i] = undefined
    this.push(i + 1, this.emit(f.node), f.first, f.last)
  }

  /** Adds a child (keys first..last) to the branch filling at level i. */
  private push(i: number, child: Ref, first: Uint8Array, last: Uint8Array): void {
    const L = this.t.layout
    const b = this.levels[i]
    if (b) {
      const sep = shortestSeparator(b.last, first)
      const size = L.separatorSize(sep.length)
      if (b.node.kids.length < 2 || b.node.size + size <= this.fill) {
        b.node.keys.push(sep)
        b.node.kids.push(child)
        b.node.size += size
        b.last = last
        return
      }
      this.close(i)
    }
    const node = this.t.fresh(false)
    node.kids.push(child)
    node.size += REF_SIZE
    this.levels[i] = { node, first, last }
  }
}

/** Number of entries in `r`. Cost: O(log n + k). */
export function countRange(t: Tree, root: Ref | null, r: KeyRange): number {
  let n = 0
  walk(t, root, r, false, () => {
    n++
    return true
  })
  return n
}
