// The shape of a tree, for people: which pages a root reaches, level by level, with their ids,
// slots and generations, so a snapshot's sharing with the head can be seen (the playground
// draws it). Breadth-first and bounded, so a large store shows its top levels.

import type { Tree } from './btree.js'
import { decodeKey } from './keys.js'
import type { Ref } from './node.js'
import type { Key } from './types.js'

export type PageInfo = {
  /** Page id: never reused, so equal ids under two roots mean one shared page. */
  id: number
  /** Slot in the pages file; -1 while only memory holds the page (written at the next checkpoint). */
  slot: number
  leaf: boolean
  /** The commit that wrote the page. */
  generation: number
  /** Entries (leaf) or children (branch). */
  entries: number
  /** A leaf's first and last key. */
  first?: Key
  last?: Key
  children?: PageInfo[]
  /** Children left out to stay within the page budget. */
  more?: number
}

/** The pages under `root`, breadth-first, at most `maxPages` of them. Cost: O(maxPages) loads. */
export function pageTree(t: Tree, root: Ref | null, maxPages: number): PageInfo | null {
  if (!root) return null
  const info = (ref: Ref): PageInfo => {
    const n = t.load(ref)
    const p: PageInfo = { id: n.id, slot: n.slot, leaf: n.leaf, generation: n.gen, entries: n.count }
    if (n.leaf && n.keys.length) {
      p.first = decodeKey(n.keys[0]!)
      p.last = decodeKey(n.keys[n.keys.length - 1]!)
    }
    return p
  }
  const top = info(root)
  let budget = maxPages - 1
  let level: { ref: Ref; info: PageInfo }[] = [{ ref: root, info: top }]
  while (level.length) {
    const next: typeof level = []
    for (const { ref, info: p } of level) {
      const n = t.load(ref)
      if (n.leaf) continue
      const take = Math.max(0, Math.min(n.kids.length, budget))
      budget -= take
      p.children = n.kids.slice(0, take).map((k) => {
        const child = { ref: k, info: info(k) }
        next.push(child)
        return child.info
      })
      if (take < n.kids.length) p.more = n.kids.length - take
    }
    level = next
  }
  return top
}
