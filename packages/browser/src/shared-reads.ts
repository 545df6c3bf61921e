// One worker's part in shared-memory reads, whatever its role. Leading, it publishes (publisher.ts)
// into a cache its own page reads when that page can share memory, and for the followers that
// ask; following, it keeps the owner's publishes in a cache its page reads (mirror.ts). Taking
// over, the mirror's cache becomes the publisher's, so its page never loses the fast path.

import type { Storage } from '@cowdb/core'
import { Mirror } from './mirror.js'
import type { Owner } from './owner.js'
import type { FromWorker, ShareMessage } from './protocol.js'
import { Publisher } from './publisher.js'

/** The cache an owner makes for followers when its own page cannot share memory (their own size, else this). */
const FOLLOWERS_CACHE_BYTES = 32 * 1024 * 1024

export class SharedReads {
  private mirror: Mirror | undefined
  private leader: { storage: Storage; owner: Owner } | undefined

  constructor(
    private readonly me: string,
    /** The page's sharedCacheBytes (0: it reads through the worker). */
    private readonly bytes: number,
    /** Posts to this worker's page. */
    private readonly post: (m: FromWorker) => void,
    /** Posts on the database's BroadcastChannel (none when not shared). */
    private readonly broadcast: ((m: ShareMessage) => void) | undefined,
  ) {}

  /** Whether this worker's page reads from shared memory when it can. */
  private get wanted(): boolean {
    return this.bytes > 0 && Publisher.canShare
  }

  /** This worker follows: if its page can share memory, it asks the owner for its publishes. Cost: one message. */
  following(): void {
    if (!this.wanted || !this.broadcast) return
    this.mirror = new Mirror(this.me, this.bytes, (buffer) => this.post({ kind: 'shared', buffer }))
    this.broadcast(this.mirror.want)
  }

  /**
   * This worker leads `owner`, on `storage`: it publishes for its own page if that can share memory
   * (in the mirror's cache, if it was a follower), else only once a follower asks. Cost: a publish.
   */
  leading(storage: Storage, owner: Owner): void {
    this.leader = { storage, owner }
    if (!this.wanted) return
    const buffer = this.mirror?.buffer
    this.start(this.bytes, buffer)
    if (owner.publisher && !buffer) this.post({ kind: 'shared', buffer: owner.publisher.buffer as SharedArrayBuffer })
    this.mirror = undefined
  }

  /** A channel message that concerns shared reads (a new owner, a publish, a follower asking or going). Cost: O(1), a publish applied. */
  onShare(m: ShareMessage): void {
    if (m.kind === 'leader' && this.mirror) this.broadcast?.(this.mirror.want)
    else if (m.kind === 'pages' && !this.leader) this.mirror?.apply(m)
    else if (m.kind === 'want-pages' && this.leader) (this.leader.owner.publisher ?? this.start(m.bytes || FOLLOWERS_CACHE_BYTES))?.follow(m.from)
    else if (m.kind === 'bye') this.leader?.owner.publisher?.unfollow(m.from)
  }

  private start(bytes: number, buffer?: ArrayBufferLike): Publisher | undefined {
    const { storage, owner } = this.leader!
    owner.publisher = Publisher.start(storage, { bytes, buffer, broadcast: this.broadcast, term: owner.term })
    return owner.publisher
  }
}
