// The worker's side of shared-memory reads: while this worker owns the files, it publishes the
// durable roots and pages into a page cache (shared-cache.ts) that its page's main thread reads,
// and sends the same to the other tabs' workers that asked (mirror.ts keeps their copy). At every
// durability point of the engine (durable.ts) it publishes, in a microtask queued then, before
// any answer of that flush is posted (so a write that resolved, in this tab or another, is
// already there when its page reads), the new roots and the pages new since the last publish
// (commits' copied paths, compaction's copies: page-publish.ts). When a page could not find a
// page, it asks (warm()) and the pages that read walks are published.

import { DurableFeed, PagePublisher, encodeKey, encodeRange, type PageSink, type Storage } from '@cowdb/core'
import type { PagesMessage, WarmRead } from './protocol.js'
import { SharedCacheWriter, createSharedCache } from './shared-cache.js'

export type PublisherOptions = {
  /** Bytes of the cache (when it makes a new one). */
  bytes: number
  /** A cache buffer to publish into (a follower's mirror, when it takes over: emptied first); else a new one. */
  buffer?: ArrayBufferLike
  /** Sends a publish to the other tabs' workers (the BroadcastChannel). */
  broadcast?: (m: PagesMessage) => void
  /** The owner's term (call-log.ts), sent with each publish. */
  term?: number
}

export class Publisher {
  /** The cache: a SharedArrayBuffer when this worker can share memory with its page (cross-origin isolated). */
  readonly buffer: ArrayBufferLike
  private readonly cache: SharedCacheWriter
  private readonly pages: PagePublisher
  private readonly off: () => void
  /** Followers that want the pages, by worker id. */
  private readonly followers = new Set<string>()
  /** Pages written (or needed by a follower) since the last broadcast, for the followers: each once. */
  private fresh = new Map<number, Uint8Array>()
  private queued = false
  private stopped = false

  /**
   * Starts publishing the engine opened on `storage`: into `opts.buffer`, or a new cache of about
   * `opts.bytes`. Undefined if the engine has no durable feed. Cost: O(heads + snapshots) now,
   * then a publish per durability point.
   */
  static start(storage: Storage, opts: PublisherOptions): Publisher | undefined {
    const feed = DurableFeed.of(storage.pages)
    return feed && new Publisher(feed, opts)
  }

  /** Whether this worker can share memory with its page: a cache its page could read. */
  static get canShare(): boolean {
    return typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated === true
  }

  private constructor(
    feed: DurableFeed,
    private readonly opts: PublisherOptions,
  ) {
    this.buffer = opts.buffer ?? createSharedCache(opts.bytes, feed.layout.pageSize)
    this.cache = new SharedCacheWriter(this.buffer)
    if (opts.buffer) this.cache.clear() // another owner's pages: their ids may be issued again
    const sink: PageSink = {
      has: (id) => this.cache.has(id),
      put: (id, encode) => {
        if (this.cache.has(id)) return true
        if (!this.cache.put(id, encode)) return false
        if (this.followers.size) this.fresh.set(id, this.cache.lastPage.slice())
        return true
      },
      needed: (id) => {
        // a warm of many keys walks the same branches again and again: one copy is enough
        const page = this.followers.size && !this.fresh.has(id) ? this.cache.copyOf(id) : undefined
        if (page) this.fresh.set(id, page)
      },
    }
    this.pages = new PagePublisher(feed, sink)
    this.off = feed.listen(() => this.schedule())
    this.publish()
  }

  /** Pages published so far, and tree nodes that could not be (a value only a chain can hold). */
  get counts(): { published: number; unshareable: number } {
    return { published: this.pages.published, unshareable: this.pages.unshareable }
  }

  /** Follower `id` wants the pages from now on: it gets the roots at once, pages as they are published. Cost: a publish. */
  follow(id: string): void {
    this.followers.add(id)
    this.publish()
  }

  /** Follower `id` went. Cost: O(1). */
  unfollow(id: string): void {
    this.followers.delete(id)
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
    const roots = this.pages.roots()
    this.cache.setRoots(roots.generation, roots.heads, roots.snapshots)
    if (!this.followers.size || !this.opts.broadcast) return
    this.opts.broadcast({ kind: 'pages', term: this.opts.term ?? 0, pageSize: this.cache.pageSize, roots, pages: [...this.fresh] })
    this.fresh.clear()
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
