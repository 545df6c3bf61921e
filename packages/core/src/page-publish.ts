// Pages for readers outside the engine (the browser's shared-memory reads). At each durability
// point the publisher hands the durable roots to a sink as page ids, with the pages that are new
// since the last time (the commits' copied paths; compaction's copies, which their checkpoint
// may already have written to disk: new pages are known by their ids, which only grow), each
// encoded in the on-disk page format with its children named by id: a child still in memory has
// no slot yet, and such a reader finds pages by id alone. When a reader missed a page, the publisher walks that read the
// way the engine would and hands over every page it touches (from memory or disk).
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
  /**
   * Every page under the roots with an id up to this was looked at by a walk that finished (or
   * is left for readers to warm). A page with a larger id is new since: a commit's path, or a
   * copy compaction made, which its checkpoint may have written to disk before any durability
   * point let it be published (its parent then names it by a disk pointer only).
   */
  private high: number
  /** Pages above `high` handed over (or found not shareable) by walks that have not finished yet; true for branches. */
  private readonly window = new Map<number, boolean>()
  /** Pages handed to the sink, and tree nodes that could not be encoded as one page. */
  published = 0
  unshareable = 0

  constructor(
    private readonly feed: DurableFeed,
    private readonly sink: PageSink,
    /** The most pages one roots() call hands over (the rest come with the next calls, or when read). */
    private readonly budget = 256,
  ) {
    // pages that exist already come when read (a cold cache fills as it is read)
    this.high = feed.nextPageId - 1
  }

  /**
   * The durable roots as page ids, after handing over the frozen pages new since the last call
   * (those only memory holds, and those with ids issued since the last walk that finished, from
   * memory or disk), breadth-first from the roots: at most `budget` per call; a walk cut short
   * goes on at the next call, until it has more than 8 x `budget` pages behind it (a bulk load:
   * the rest come when a reader misses them). Cost: O(new pages x pageSize) + O(snapshots).
   */
  roots(): PublishedRoots {
    const { roots, generation } = this.feed.heads
    const next = this.feed.nextPageId
    const queue: Ref[] = []
    let finished = true
    const id = (root: Ref | null): number => {
      if (root === null) return 0
      if (isNode(root) && !this.feed.frozen(root)) {
        finished = false // its pages are not there to walk yet
        return -1
      }
      queue.push(root)
      return root.id
    }
    const heads = [...roots].map(([name, root]): [string, number] => [name, id(root)])
    const snapshots = this.feed.snapshots().map((s): [string, number] => [s.id, id(s.root)])
    let left = this.budget
    for (let i = 0; i < queue.length; i++) {
      const n = this.visit(queue[i]!, left > 0)
      if (n === undefined) continue
      if (n === null) {
        finished = false
        continue
      }
      if (!this.window.has(n.id)) {
        if (this.seen.has(n) || this.sink.has(n.id)) this.note(n) // a reader's warm handed it over
        else {
          this.publish(n)
          left--
        }
      }
      if (!n.leaf) for (const k of n.kids) queue.push(k)
    }
    if (finished || this.window.size > 8 * this.budget) {
      this.high = Math.max(this.high, next - 1)
      this.window.clear()
    }
    return { generation, heads, snapshots }
  }

  /**
   * The node behind `r` if the walk of roots() goes there: an id above `high` (new since the
   * last walk that finished), or a frozen node in memory not handed over yet. Undefined: not
   * there (old, or a page of the window it need not open again); null: it would have to hand
   * `r` over, but `room` is false (the walk is cut short), or loading it failed (a reader
   * that needs it asks the engine, which reports the error).
   */
  private visit(r: Ref, room: boolean): Node | null | undefined {
    if (r.id <= this.high) {
      if (!isNode(r) || this.seen.has(r) || !this.feed.frozen(r)) return undefined
      return room ? r : null
    }
    const known = this.window.get(r.id)
    if (known === false) return undefined // a leaf handed over already
    if (known === undefined && !room) return null
    try {
      return this.feed.load(r)
    } catch {
      return null
    }
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

  /** Remembers that `n` was handed over: not again, and, in the window, not opened again if a leaf. */
  private note(n: Node): void {
    this.seen.add(n)
    if (n.id > this.high) this.window.set(n.id, !n.leaf)
  }

  private publish(n: Node): void {
    this.note(n)
    if (this.sink.put(n.id, (into) => encodeShared(n, into, this.feed.layout, this.readChain))) this.published++
    else this.unshareable++
  }
}
