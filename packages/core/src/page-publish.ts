// Pages for readers outside the engine (the browser's shared-memory reads). At each durability
// point the publisher hands the durable roots to a sink as page ids, with the pages that are new
// since the last time (the commits' copied paths, found from the roots; compaction's copies,
// which the engine lists, since their checkpoint may write them before any durability point and
// the nodes that point at them may be older ones it changed in place), each encoded in the
// on-disk page format with its children named by id: a child still in memory has no slot yet,
// and such a reader finds pages by id alone. When a reader missed a page, the publisher walks
// that read the way the engine would and hands over every page it touches (from memory or disk).
//
// Only frozen nodes are published (durable.ts): a page id then names one content forever.

import { lookup, walk, type PageLoader } from './btree.js'
import type { DurableFeed } from './durable.js'
import { MAIN } from './heads.js'
import type { KeyRange } from './keys.js'
import { isNode, type DiskRef, type Layout, type Node, type Ref } from './node.js'
import { NO_SLOT, encodeNode } from './page.js'
import type { ReadOptions } from './types.js'

/** Where published pages go (the browser's shared cache). The costs below are what the publisher assumes of it. */
export interface PageSink {
  /** Whether page `id` is there already. Called for every frozen page a warming walk loads. Cost: O(1). */
  has(id: number): boolean
  /**
   * Makes room for page `id` and lets `encode` write it in place (pageSize bytes); false if
   * `encode` could not (then nothing of it stays). Cost: O(pageSize), the encode itself.
   */
  put(id: number, encode: (into: Uint8Array) => boolean): boolean
  /** A reader that missed needs page `id`, which the sink has (readers elsewhere may lack it). Cost: at most a page copy. */
  needed?(id: number): void
}

/** The durable roots as page ids: 0 for an empty tree, -1 for one that cannot be published yet. */
export type PublishedRoots = { generation: number; heads: [string, number][]; snapshots: [string, number][] }

/** Thrown inside encodeNode when a key or value would need an overflow chain written. */
const NEEDS_CHAIN = new Error('cowdb: not shareable')

/** A child pointer as a shared page carries it: its slot if it has one, and its id. */
const childById = (r: Ref): DiskRef => (isNode(r) && r.slot < 0 ? { slot: NO_SLOT, id: r.id } : { slot: r.slot, id: r.id })

/**
 * Encodes node `n` (frozen: it must never change again) into `page` (pageSize bytes) as the page
 * a reader looks up by `n.id`. False when it cannot be one page: a node still in memory with a
 * key or value that only an overflow chain, written by the next checkpoint, can hold. `n` is
 * never changed. Cost: O(pageSize) (with the checksum).
 */
export function encodeShared(n: Node, page: Uint8Array, layout: Layout, readChain: (ref: DiskRef, length: number) => Uint8Array): boolean {
  page.fill(0)
  try {
    encodeNode(n, page, layout, { writeChain: () => { throw NEEDS_CHAIN }, readChain }, childById)
    return true
  } catch (e) {
    if (e === NEEDS_CHAIN) return false
    throw e
  }
}

export class PagePublisher {
  /** Frozen nodes in memory already handed over (or found not shareable): never looked at again. */
  private readonly seen = new WeakSet<Node>()
  private readonly readChain = (r: DiskRef, length: number) => this.feed.readChain(r, length)
  /** Compaction's copies not handed over yet (over a call's budget): the next calls go on. */
  private copies: Node[] = []
  /** Pages handed to the sink, and tree nodes that could not be encoded as one page. */
  published = 0
  unshareable = 0

  constructor(
    private readonly feed: DurableFeed,
    private readonly sink: PageSink,
    /** The most pages one roots() call hands over (a bulk load's pages come when read). */
    private readonly budget = 256,
  ) {}

  /**
   * The durable roots as page ids, after handing over the frozen pages only memory holds that are
   * new since the last call, breadth-first from the roots, then compaction's copies (at most
   * `budget` in all; new pages over it come when a reader misses them, copies with the next
   * calls). Cost: O(new pages x pageSize) + O(snapshots).
   */
  roots(): PublishedRoots {
    const { roots, generation } = this.feed.heads
    const queue: Node[] = []
    const id = (root: Ref | null): number => {
      if (root === null) return 0
      if (!isNode(root)) return root.id
      if (!this.feed.frozen(root)) return -1
      if (!this.seen.has(root)) queue.push(root)
      return root.id
    }
    const heads = [...roots].map(([name, root]): [string, number] => [name, id(root)])
    const snapshots = this.feed.snapshots().map((s): [string, number] => [s.id, id(s.root)])
    let left = this.budget
    for (let i = 0; i < queue.length && left > 0; i++) {
      const n = queue[i]!
      if (this.seen.has(n)) continue
      this.publish(n)
      left--
      if (!n.leaf) for (const k of n.kids) if (isNode(k) && !this.seen.has(k) && this.feed.frozen(k)) queue.push(k)
    }
    const copies = this.feed.takeRelocated()
    if (copies.length) this.copies = this.copies.length ? this.copies.concat(copies) : copies
    let i = 0
    for (; i < this.copies.length && left > 0; i++) {
      const n = this.copies[i]!
      if (this.seen.has(n) || this.sink.has(n.id)) continue
      this.publish(n)
      left--
    }
    if (i) this.copies = this.copies.slice(i)
    return { generation, heads, snapshots }
  }

  /** Hands over every page a lookup of `keys` at `at` reads (a reader missed one). Cost: O(keys x log n) page loads. */
  warmKeys(at: ReadOptions | undefined, keys: Uint8Array[]): void {
    const root = this.rootOf(at)
    for (const k of keys) lookup(this.watching, root, k)
  }

  /**
   * Hands over every page a walk of `r` at `at` reads, until `limit` entries (a reader missed one).
   * Cost: O(log n + entries / fanout) page loads.
   */
  warmRange(at: ReadOptions | undefined, r: KeyRange, reverse: boolean, limit: number): void {
    let seen = 0
    walk(this.watching, this.rootOf(at), r, reverse, () => ++seen < limit)
  }

  /** The root a shared read at `at` uses: a snapshot's, or the durable root of a head. */
  private rootOf(at: ReadOptions | undefined): Ref | null {
    if (at?.snapshot !== undefined) return this.feed.rootFor({ snapshot: at.snapshot })
    return this.feed.heads.roots.get(at?.branch ?? MAIN) ?? null
  }

  /** Loads pages as the engine's walks do, handing over each frozen one the sink lacks (and telling it of the others). */
  private readonly watching: PageLoader = {
    load: (ref) => {
      const n = this.feed.load(ref)
      if (!this.feed.frozen(n)) return n
      if (!this.sink.has(n.id)) this.publish(n)
      else this.sink.needed?.(n.id)
      return n
    },
  }

  private publish(n: Node): void {
    this.seen.add(n)
    if (this.sink.put(n.id, (into) => encodeShared(n, into, this.feed.layout, this.readChain))) this.published++
    else this.unshareable++
  }
}
