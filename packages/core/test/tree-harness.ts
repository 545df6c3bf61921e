// Test harness for the B+tree on its own: a Tree on a Pager on a memory file, a checkpoint-like
// writer (unwritten nodes to pages, children first), and a structural checker that re-derives
// every invariant from the pages themselves with its own byte comparison (not the engine's).
import { Tree } from '../src/btree.js'
import { MemoryBlockFile } from '../src/memory-store.js'
import { Layout, Node, isNode, type DiskRef, type Ref } from '../src/node.js'
import { encodeNode, type ChainIO } from '../src/page.js'
import { Pager } from '../src/pager.js'
import type { StoredValue } from '../src/btree.js'

/** Plain lexicographic byte order (<0, 0, >0), written here so that the checker does not trust compareKeys. */
export function cmpBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

/** A Tree over a Pager over a memory file, with a cache of `cachePages` pages. */
export function memTree(pageSize: number, cachePages = 8): { file: MemoryBlockFile; pager: Pager; tree: Tree } {
  const file = new MemoryBlockFile()
  const pager = new Pager(file, new Layout(pageSize), cachePages * pageSize * 2)
  return { file, pager, tree: new Tree(pager) }
}

/**
 * Writes every node under `root` that only memory holds (children first), flushes, and lets
 * written parents point at their children's pages, as the checkpoint does. Returns the root's page.
 */
export function writeTree(pager: Pager, root: Ref | null): DiskRef | null {
  const written: Node[] = []
  const write = (ref: Ref): DiskRef => {
    if (isNode(ref) && ref.slot < 0) {
      if (!ref.leaf) for (const k of ref.kids) write(k)
      pager.writeNode(ref)
      written.push(ref)
    }
    return { slot: ref.slot, id: ref.id }
  }
  const out = root ? write(root) : null
  pager.writeStaged()
  for (const n of written) {
    if (!n.leaf) n.kids = n.kids.map((k) => (isNode(k) && k.slot >= 0 ? { slot: k.slot, id: k.id } : k))
    pager.cache.set(n)
  }
  return out
}

/** The bytes of a stored value, read from its chain if it is in one. */
export function valueBytes(t: Tree, v: StoredValue): Uint8Array {
  return v instanceof Uint8Array ? v : t.pager.readChain(v, v.length)
}

/** Chains answered without I/O: the checker encodes nodes only to measure them. */
const dryChains: ChainIO = {
  writeChain: () => ({ slot: 0, id: 1 }),
  readChain: (_ref, length) => new Uint8Array(length),
}

export type TreeShape = {
  pages: number
  depth: number
  /** Non-root pages under the layout's minimum fill, each as the first and last key under it. */
  underfull: { first: Uint8Array; last: Uint8Array }[]
  /** Non-root branches with a single child. */
  singleChild: number
  /** Every entry, in leaf order. */
  entries: [Uint8Array, StoredValue][]
  /** Every node, by level (root first). */
  levels: Node[][]
}

/**
 * Checks the tree under `root` and throws an Error naming the first broken invariant: keys
 * strictly increasing inside and across pages, separators bounding their subtrees (lo <= key <
 * hi), every branch with one child more than separators, every leaf at one depth, no empty page
 * but an empty root, no page over the page size, and each node's `size` equal to what
 * `layout.measure` computes and to the bytes it encodes to. Cost: encodes every page once.
 */
export function checkTree(t: Tree, root: Ref | null): TreeShape {
  const L = t.layout
  const shape: TreeShape = { pages: 0, depth: 0, underfull: [], singleChild: 0, entries: [], levels: [] }
  if (!root) return shape
  let leafDepth = -1
  const page = new Uint8Array(L.pageSize)
  const visit = (ref: Ref, depth: number, lo: Uint8Array | undefined, hi: Uint8Array | undefined): void => {
    const n = t.load(ref)
    const start = shape.entries.length
    const where = `page ${n.id} (${n.leaf ? 'leaf' : 'branch'} at depth ${depth}${n.slot >= 0 ? `, slot ${n.slot}` : ', in memory'})`
    const fail = (why: string): never => {
      throw new Error(`tree check: ${where}: ${why}`)
    }
    shape.pages++
    ;(shape.levels[depth] ??= []).push(n)
    if (n.size !== L.measure(n)) fail(`size ${n.size}, measured ${L.measure(n)}`)
    if (n.size > L.pageSize) fail(`size ${n.size} over the page size ${L.pageSize}`)
    const copy = new Node(n.leaf, n.id, n.gen, n.epoch)
    copy.keys = n.keys
    copy.vals = n.vals.slice()
    copy.kids = n.kids.map((k) => ({ slot: Math.max(k.slot, 0), id: k.id }))
    page.fill(0)
    encodeNode(copy, page, L, dryChains)
    const encoded = 32 + new DataView(page.buffer).getUint32(28)
    if (encoded !== n.size) fail(`size ${n.size}, encodes to ${encoded} bytes`)
    for (let i = 0; i < n.keys.length; i++) {
      const k = n.keys[i]!
      if (i > 0 && cmpBytes(n.keys[i - 1]!, k) >= 0) fail(`keys ${i - 1} and ${i} out of order`)
      if (lo && cmpBytes(k, lo) < 0) fail(`key ${i} below the separator on its left`)
      if (hi && cmpBytes(k, hi) >= 0) fail(`key ${i} not below the separator on its right`)
    }
    if (n.leaf) {
      if (n.keys.length !== n.vals.length) fail(`${n.keys.length} keys, ${n.vals.length} values`)
      if (n.keys.length === 0) fail('empty leaf (an empty tree is a null root)')
      if (leafDepth < 0) leafDepth = depth
      else if (leafDepth !== depth) fail(`leaf at depth ${depth}, the first at ${leafDepth}`)
      for (let i = 0; i < n.keys.length; i++) shape.entries.push([n.keys[i]!, n.vals[i]!])
    } else {
      if (n.kids.length !== n.keys.length + 1) fail(`${n.kids.length} children for ${n.keys.length} separators`)
      if (n.kids.length === 1 && depth === 0) fail('a root with one child')
      if (n.kids.length === 1) shape.singleChild++
      for (let i = 0; i < n.kids.length; i++) visit(n.kids[i]!, depth + 1, i > 0 ? n.keys[i - 1] : lo, i < n.keys.length ? n.keys[i] : hi)
    }
    if (depth > 0 && n.size < L.minFill) shape.underfull.push({ first: shape.entries[start]![0], last: shape.entries[shape.entries.length - 1]![0] })
  }
  visit(root, 0, undefined, undefined)
  shape.depth = leafDepth
  for (let i = 1; i < shape.entries.length; i++) {
    if (cmpBytes(shape.entries[i - 1]![0], shape.entries[i]![0]) >= 0) throw new Error(`tree check: entries ${i - 1} and ${i} out of order across pages`)
  }
  return shape
}
