// A follower's side of shared-memory reads. The worker that owns the files sends each publish (the
// roots, and the pages new since its last) to the followers that asked (publisher.ts); a follower
// whose page can share memory (cross-origin isolated) keeps them in a page cache of its own and
// shares that with its page, whose reads are then answered there with no message at all, as in
// the owner's tab. A publish arrives before the answers of the flush it follows (the channel keeps
// one sender's order), so a write of this tab that resolved is in the cache when the page reads.
// Pages the follower lacks are asked for by the page's reads that miss (a `warm` call, forwarded
// like any other), and come back in the next publish. When this worker takes over the files, its
// publisher goes on in the same cache, so the page keeps reading from it.

import type { PagesMessage, ShareMessage } from './protocol.js'
import { SharedCacheWriter, createSharedCache } from './shared-cache.js'

export class Mirror {
  private cache: SharedCacheWriter | undefined
  /** The term of the owner whose pages the cache holds. */
  private term = -1

  constructor(
    private readonly me: string,
    /** Bytes of the cache (the page's sharedCacheBytes). */
    private readonly bytes: number,
    /** Shares the cache with this worker's page, once it exists. */
    private readonly share: (buffer: SharedArrayBuffer) => void,
  ) {}

  /** The message that asks the owner for its publishes; sent to each new owner. */
  get want(): ShareMessage {
    return { kind: 'want-pages', from: this.me, bytes: this.bytes }
  }

  /** The cache, for this worker's publisher when it takes over (undefined: no publish came yet). */
  get buffer(): ArrayBufferLike | undefined {
    return this.cache?.buffer
  }

  /**
   * Takes an owner's publish: its pages, then its roots (a reader never meets roots whose pages are
   * still to come). The first one makes the cache and shares it with the page. A publish of a newer
   * owner empties the cache first (it may issue again the ids of the last owner's pages that never
   * reached the disk); a late one of an older owner is dropped. Cost: O(pages x pageSize), O(entries) on a new owner.
   */
  apply(m: PagesMessage): void {
    if (m.term < this.term) return
    if (!this.cache) {
      const buffer = createSharedCache(this.bytes, m.pageSize)
      this.cache = new SharedCacheWriter(buffer)
      this.share(buffer as SharedArrayBuffer)
    }
    if (this.cache.pageSize !== m.pageSize) return
    if (m.term > this.term) {
      if (this.term >= 0) this.cache.clear()
      this.term = m.term
    }
    for (const [id, page] of m.pages) this.cache.put(id, (into) => (into.set(page), true))
    this.cache.setRoots(m.roots.generation, m.roots.heads, m.roots.snapshots)
  }
}
