// The worker's side of shared-memory reads: while this worker owns the files, it publishes the
// durable roots and pages into the shared page cache (shared-cache.ts) that its page's main thread
// reads. At every durability point of the engine (durable.ts) it publishes, in a microtask queued
// then, before any answer of that flush is posted (so a write that resolved in this tab is
// already there when its page reads), the new roots and the commits' copied paths. When the page
// could not find a page, it asks (warm()) and the pages that read walks are published.

import { DurableFeed, PagePublisher, encodeKey, encodeRange, type Storage } from '@cowdb/core'
import type { WarmRead } from './protocol.js'
import { SharedCacheWriter, createSharedCache } from './shared-cache.js'

export class Publisher {
  readonly buffer: SharedArrayBuffer
  private readonly cache: SharedCacheWriter
  private readonly pages: PagePublisher
  private readonly off: () => void
  private queued = false
  private stopped = false

  /**
   * Starts publishing the engine opened on `storage` into a new cache of about `bytes`, if this
   * worker can share memory with its page (cross-origin isolated) and `bytes` > 0; else undefined.
   * Cost: O(heads + snapshots) now, then a publish per durability point.
   */
  static start(storage: Storage, bytes: number): Publisher | undefined {
    if (!(bytes > 0) || typeof SharedArrayBuffer === 'undefined' || !globalThis.crossOriginIsolated) return undefined
    const feed = DurableFeed.of(storage.pages)
    return feed && new Publisher(feed, bytes)
  }

  private constructor(feed: DurableFeed, bytes: number) {
    this.buffer = createSharedCache(bytes, feed.layout.pageSize)
    this.cache = new SharedCacheWriter(this.buffer)
    this.pages = new PagePublisher(feed, this.cache)
    this.off = feed.listen(() => this.schedule())
    this.publish()
  }

  /** Pages published so far, and tree nodes that could not be (a value only a chain can hold). */
  get counts(): { published: number; unshareable: number } {
    return { published: this.pages.published, unshareable: this.pages.unshareable }
  }

  /**
   * Publishes the pages these reads walk (from memory or disk), then the roots again (compaction
   * may have moved them without a durability point). A read that fails (bad arguments, a
   * missing snapshot, a damaged page) is skipped: the read itself reported it.
   * Cost: what the reads would cost in the engine.
   */
  warm(reads: WarmRead[]): void {
    this.guard(() => {
      for (const r of reads) {
        const at = { snapshot: r.at?.snapshot, branch: r.at?.branch }
        try {
          if ('keys' in r) this.pages.warmKeys(at, r.keys.map((k) => encodeKey(k)))
          else this.pages.warmRange(at, encodeRange(r.range), r.reverse, r.limit)
        } catch {
          // bad arguments, a missing snapshot, a damaged page: the read itself reported it
        }
      }
      this.roots()
    })
  }

  /** Stops publishing; readers find nothing from now on (every read asks the worker). Cost: O(1). */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    this.off()
    this.cache.retract()
  }

  private schedule(): void {
    if (this.queued) return
    this.queued = true
    queueMicrotask(() => {
      this.queued = false
      this.publish()
    })
  }

  private publish(): void {
    this.guard(() => this.roots())
  }

  private roots(): void {
    const r = this.pages.roots()
    this.cache.setRoots(r.generation, r.heads, r.snapshots)
  }

  /** A failure here must never reach the engine: publishing stops, reads go to the worker. */
  private guard(run: () => void): void {
    if (this.stopped) return
    try {
      run()
    } catch (e) {
      this.stop()
      console.error('cowdb: shared-memory reads stopped; every read goes to the worker from now on', e)
    }
  }
}
