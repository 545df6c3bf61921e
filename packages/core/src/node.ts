// The in-memory form of a B+tree page. A node is either decoded from an immutable page on disk
// (slot >= 0) or a private copy being written (slot === -1). Only a private node whose epoch is
// the tree's current epoch may be changed in place; everything else is copied first.

/** Where an immutable page is: its slot in the pages file and the page id expected there. */
export type DiskRef = { readonly slot: number; readonly id: number }

/** A child pointer: a node in memory, or a page on disk. */
export type Ref = Node | DiskRef

/** A large value (or key) kept in a chain of overflow pages; `length` is its byte length. */
export class Overflow implements DiskRef {
  constructor(
    readonly slot: number,
    readonly id: number,
    readonly length: number,
  ) {}
}

/** Bytes of the page header (see page.ts). */
export const HEADER_SIZE = 32
/** Bytes of a child pointer or overflow pointer: slot u32 + page id f64. */
export const REF_SIZE = 12
/** Per-entry bytes besides key and value: flags u8, key length u16, value length u32. */
export const ENTRY_OVERHEAD = 7
/** Per-separator bytes besides the key: flags u8, key length u16, and the child pointer. */
export const SEPARATOR_OVERHEAD = 3 + REF_SIZE

export class Node {
  /** Leaf: entry keys. Branch: separators; kids[i] holds keys in [keys[i-1], keys[i]). */
  keys: Uint8Array[] = []
  /** Leaf only: values, inline bytes or an overflow chain. */
  vals: (Uint8Array | Overflow)[] = []
  /** Branch only: children, one more than keys. */
  kids: Ref[] = []
  /** Encoded size in bytes, header included; kept up to date by every change. */
  size = HEADER_SIZE
  /** Slot on disk, -1 while this node is a private copy not yet written. */
  slot = -1
  /** On-disk only: overflow chains holding keys too large to inline (for GC and verify). */
  keyChains?: DiskRef[]

  constructor(
    readonly leaf: boolean,
    /** Page id: monotonic, never reused. */
    readonly id: number,
    /** Generation (commit number) that created this page. */
    readonly gen: number,
    /** Write epoch that created this node; see Tree.epoch. */
    readonly epoch: number,
  ) {}

  /** Entries (leaf) or children (branch). */
  get count(): number {
    return this.leaf ? this.keys.length : this.kids.length
  }
}

/** True if `ref` is a node in memory (rather than a page on disk). */
export function isNode(ref: Ref): ref is Node {
  return ref instanceof Node
}

/**
 * Size limits derived from the page size. An entry larger than `maxEntry` moves its value, then
 * its key, to an overflow chain, so that every page holds at least four entries.
 */
export class Layout {
  readonly maxEntry: number
  /** Below this a node is merged with or refilled from a sibling. */
  readonly minFill: number
  constructor(readonly pageSize: number) {
    this.maxEntry = Math.floor((pageSize - HEADER_SIZE) / 4)
    this.minFill = Math.floor(pageSize / 4)
  }

  /** Whether a leaf entry's value goes to an overflow chain. */
  valueOverflows(klen: number, vlen: number): boolean {
    return ENTRY_OVERHEAD + klen + vlen > this.maxEntry
  }
  /** Whether a key goes to an overflow chain (in a leaf entry or as a separator). */
  keyOverflows(klen: number, leaf: boolean, vlen = 0): boolean {
    if (!leaf) return SEPARATOR_OVERHEAD + klen > this.maxEntry
    const v = this.valueOverflows(klen, vlen) ? REF_SIZE : vlen
    return ENTRY_OVERHEAD + klen + v > this.maxEntry
  }
  /** Encoded bytes of one leaf entry. Cost: O(1). */
  entrySize(klen: number, vlen: number): number {
    let v = vlen
    let k = klen
    if (ENTRY_OVERHEAD + k + v > this.maxEntry) {
      v = REF_SIZE
      if (ENTRY_OVERHEAD + k + v > this.maxEntry) k = REF_SIZE
    }
    return ENTRY_OVERHEAD + k + v
  }
  /** Encoded bytes of one branch separator with its right child pointer. Cost: O(1). */
  separatorSize(klen: number): number {
    return SEPARATOR_OVERHEAD + (SEPARATOR_OVERHEAD + klen > this.maxEntry ? REF_SIZE : klen)
  }
  /** Encoded size of a node, computed from scratch. Cost: O(entries). */
  measure(n: Node): number {
    let size = HEADER_SIZE
    if (n.leaf) {
      for (let i = 0; i < n.keys.length; i++) size += this.entrySize(n.keys[i]!.length, valueLength(n.vals[i]!))
    } else {
      size += REF_SIZE
      for (const k of n.keys) size += this.separatorSize(k.length)
    }
    return size
  }
}

/** Byte length of a stored value, inline or in an overflow chain. */
export function valueLength(v: Uint8Array | Overflow): number {
  return v instanceof Overflow ? v.length : v.length
}
