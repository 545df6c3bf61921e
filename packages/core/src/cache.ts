// A cache of decoded pages with a byte budget. Pages are immutable, so an entry never goes stale;
// the only check is that the slot still holds the page id asked for (slots are reused after GC).

import type { Node } from './node.js'

/** LRU cache of decoded nodes keyed by slot. Cost: O(1) per get/set. */
export class PageCache {
  private map = new Map<number, Node>()
  private bytes = 0
  hits = 0
  misses = 0

  constructor(
    private readonly budget: number,
    private readonly pageCost: number,
  ) {}

  /** The node at `slot` if it is page `id`. Moves it to the most recently used end. */
  get(slot: number, id: number): Node | undefined {
    const n = this.map.get(slot)
    if (n === undefined || n.id !== id) {
      this.misses++
      return undefined
    }
    this.hits++
    this.map.delete(slot)
    this.map.set(slot, n)
    return n
  }

  set(n: Node): void {
    const old = this.map.get(n.slot)
    if (old) this.map.delete(n.slot)
    else this.bytes += this.pageCost
    this.map.set(n.slot, n)
    while (this.bytes > this.budget && this.map.size > 1) {
      const oldest = this.map.keys().next().value as number
      this.map.delete(oldest)
      this.bytes -= this.pageCost
    }
  }

  /** Forgets a slot (it was freed). */
  drop(slot: number): void {
    if (this.map.delete(slot)) this.bytes -= this.pageCost
  }

  clear(): void {
    this.map.clear()
    this.bytes = 0
  }

  get size(): number {
    return this.map.size
  }
}
