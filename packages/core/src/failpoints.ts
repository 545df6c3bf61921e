// Named failpoints, after bbolt's gofail: the places where a test can make the engine fail on
// purpose, kept in one registry so that a test can assert that each one fired. The engine hits
// its own points (below: engine); a fault-injecting storage hits the I/O ones (storage). A
// Database gets a registry only through `DatabaseOptions.failpoints`; without one, a hit costs
// one optional-chaining check.

export const FAILPOINTS = {
  // engine
  encodeValue: 'encoding the values of a write, before it waits for its turn',
  applyOps: "applying a commit's ops to the in-memory tree, after an op changed pages",
  subscriberLookup: "reading a subscribed key's value before a commit applies",
  deliver: 'reading a change back for a subscriber, after the commit is durable',
  checkpoint: 'starting a checkpoint, before any page is written',
  // storage
  pageRead: 'reading a page of the pages file',
  pageWrite: 'writing pages at a checkpoint',
  pagesFlush: 'flushing the pages file at a checkpoint',
  walWrite: 'writing records to the WAL',
  walFlush: 'flushing the WAL (the durability point of a commit)',
  walTruncate: 'cutting the WAL file back (after a failed flush, or at a new cycle)',
  metaSave: 'saving the Meta (the root switch)',
} as const

export type FailpointName = keyof typeof FAILPOINTS

type Armed = { skip: number; times: number; error: (name: FailpointName) => Error }

/** A set of armed failpoints and a count of every hit and every failure. */
export class Failpoints {
  readonly hits = new Map<FailpointName, number>()
  readonly fired = new Map<FailpointName, number>()
  private readonly armed = new Map<FailpointName, Armed>()

  /**
   * Makes `name` throw: after `skip` more hits pass, on the next `times` hits (default 1).
   * `error` builds what is thrown (default: an Error naming the failpoint). Arming it again
   * replaces the earlier arming. Cost: O(1).
   */
  arm(name: FailpointName, opts: { skip?: number; times?: number; error?: (name: FailpointName) => Error } = {}): void {
    if (!(name in FAILPOINTS)) throw new TypeError(`cowdb: no failpoint ${name}`)
    this.armed.set(name, { skip: opts.skip ?? 0, times: opts.times ?? 1, error: opts.error ?? ((n) => new Error(`injected failure at failpoint ${n}`)) })
  }

  /** Disarms `name`, or with no name every failpoint; the counts of hits and failures stay. Cost: O(1) (O(armed) for all). */
  disarm(name?: FailpointName): void {
    if (name === undefined) this.armed.clear()
    else this.armed.delete(name)
  }

  /** Called by the engine at `name`: counts the hit, and throws if armed. Cost: O(1). */
  hit(name: FailpointName): void {
    this.hits.set(name, (this.hits.get(name) ?? 0) + 1)
    const a = this.armed.get(name)
    if (!a) return
    if (a.skip > 0) {
      a.skip--
      return
    }
    if (--a.times <= 0) this.armed.delete(name)
    this.fired.set(name, (this.fired.get(name) ?? 0) + 1)
    throw a.error(name)
  }
}
