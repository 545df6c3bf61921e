// The changes between two trees, found by walking both together and skipping every subtree that
// is the same page on both sides. Pages are immutable and page ids are never reused, so the same
// id means the same contents: the cost grows with what changed, not with the size of the store.
//
// Each side is a stack of pending items in key order (the top is the smallest): pages (with
// their height) or single entries. When both tops are the same page, both are dropped; otherwise
// the taller page is opened into its children (a leaf into its entries), until two entries meet
// and are compared. Dropping a shared page is sound because it is a prefix of both sequences.

import { bytesEqual } from './bytes.js'
import type { StoredValue, Tree } from './btree.js'
import { compareKeys } from './keys.js'
import { Overflow, type Ref } from './node.js'

type Item = { ref: Ref; h: number; key?: undefined } | { key: Uint8Array; val: StoredValue; ref?: undefined }

export type RawChange = { key: Uint8Array; before?: StoredValue; after?: StoredValue }

/** Yields changed keys from tree `a` to tree `b` in key order. Cost: O(changed pages). */
export function* diffTrees(t: Tree, a: Ref | null, b: Ref | null, sameValue: (x: StoredValue, y: StoredValue) => boolean): Generator<RawChange> {
  const A: Item[] = a ? [{ ref: a, h: height(t, a) }] : []
  const B: Item[] = b ? [{ ref: b, h: height(t, b) }] : []
  const open = (s: Item[]) => {
    const { ref, h } = s.pop() as { ref: Ref; h: number }
    const n = t.load(ref)
    if (n.leaf) for (let i = n.keys.length - 1; i >= 0; i--) s.push({ key: n.keys[i]!, val: n.vals[i]! })
    else for (let i = n.kids.length - 1; i >= 0; i--) s.push({ ref: n.kids[i]!, h: h - 1 })
  }
  while (A.length || B.length) {
    const x = A[A.length - 1]
    const y = B[B.length - 1]
    if (x?.ref && y?.ref && x.ref.id === y.ref.id) {
      A.pop()
      B.pop()
      continue
    }
    if (x?.ref && (!y || !y.ref || x.h >= y.h)) {
      open(A)
      continue
    }
    if (y?.ref) {
      open(B)
      continue
    }
    // Both tops are entries (or one side is exhausted).
    if (!y || (x && compareKeys(x.key!, y.key!) < 0)) {
      A.pop()
      yield { key: x!.key!, before: (x as { val: StoredValue }).val }
    } else if (!x || compareKeys(x.key!, y.key!) > 0) {
      B.pop()
      yield { key: y.key!, after: (y as { val: StoredValue }).val }
    } else {
      A.pop()
      B.pop()
      const before = (x as { val: StoredValue }).val
      const after = (y as { val: StoredValue }).val
      if (!sameValue(before, after)) yield { key: x.key!, before, after }
    }
  }
}

/** Levels under `ref` (a leaf is 0). Cost: O(height). */
function height(t: Tree, ref: Ref): number {
  let h = 0
  let n = t.load(ref)
  while (!n.leaf) {
    n = t.load(n.kids[0]!)
    h++
  }
  return h
}

/** Whether two stored values are equal, reading overflow chains only when they differ. */
export function storedEqual(read: (o: Overflow) => Uint8Array) {
  return (x: StoredValue, y: StoredValue): boolean => {
    if (x instanceof Overflow && y instanceof Overflow && x.slot === y.slot && x.id === y.id) return true
    if (x.length !== y.length) return false
    return bytesEqual(x instanceof Overflow ? read(x) : x, y instanceof Overflow ? read(y) : y)
  }
}
