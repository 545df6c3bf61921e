// A cache of decoded pages with a byte budget. Pages are immutable, so an entry never goes stale;
// the only check is that the slot still holds the page id asked for (slots are reused after GC).

import type { Node } from './node.js'

/**
 * Cache of decoded nodes keyed by slot, evicting by CLOCK (second chance): a hit only sets a
 * flag, so the read path does not reorder a Map on every page it touches. Cost: O(1) amortized.
 */
export class PageCache {
  private map = new Map<number, Node>()
  private referenced = new Set<number>()
  private bytes = 0
  hits = 0
  misses = 0

  constructor(
    private readonly budget: number,
    private readonly pageCost: number,
  ) {}

  /** The node at `slot` if it is page `id`; marks it referenced (its second chance at eviction). */
  get(slot: number, id: number): Node | undefined {
    const n = this.map.get(slot)
    if (n === undefined || n.id !== id) {
      this.misses++
      return undefined
    }
    this.hits++
    this.referenced.add(slot)
    return n
  }

  set(n: Node): void {
    const old = this.map.get(n.slot)
    if (old) this.map.delete(n.slot)
    else this.bytes += this.pageCost
    this.map.set(n.slot, n)
    while (this.bytes > this.budget && this.map.size > 1) {
      const [oldest, node] = this.map.entries().next().value as [number, Node]
      this.map.delete(oldest)
      if (this.referenced.delete(oldest)) this.map.set(oldest, node) // second chance
      else this.bytes -= this.pageCost
    }
  }

  /** Forgets a slot (it was freed). */
  drop(slot: number): void {
    this.referenced.delete(slot)
    if (this.map.delete(slot)) this.bytes -= this.pageCost
  }

  clear(): void {
    this.map.clear()
    this.referenced.clear()
    this.bytes = 0
  }

  get size(): number {
    return this.map.size
  }
}
