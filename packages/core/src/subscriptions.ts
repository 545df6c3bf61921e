// Change notifications: each durable commit's changes to a subscribed key range of one head,
// delivered in commit order, each change with its value before and after. A commit of ops
// reads the old value of each subscribed key it touches before applying (a range delete walks
// its range) and the new value after; restore, undo and redo diff the two roots, which are
// both immutable. Nothing is paid for keys outside every subscribed range.
//
// Values are decoded at delivery, after the commit is durable: a value that cannot be decoded
// then is reported (the listener misses that event) and never fails the write that made it.

import type { KeyRange } from './keys.js'
import type { RawChange } from './diff.js'
import { keyInRange } from './keys.js'
import type { Change, Commit } from './types.js'

/**
 * One commit's changes inside one subscription's range, in key order. `reset`: the subscriber may
 * have missed changes (only across a change of the tab that owns a shared database, when the
 * state it last saw is no longer kept): `changes` is empty, and it must reload the range; every
 * later event is a commit after `commit`.
 */
export type ChangeEvent = { branch: string; commit: Commit; changes: Change[]; reset?: true }
export type ChangeListener = (event: ChangeEvent) => void

type Subscription = { branch: string; range: KeyRange; listener: ChangeListener; since: number }
/** A change found by a commit, decoded once (at delivery), however many subscriptions get it. */
class PendingChange {
  private decoded?: Change
  constructor(
    private readonly raw: RawChange,
    private readonly decode: (c: RawChange) => Change,
  ) {}
  get(): Change {
    return (this.decoded ??= this.decode(this.raw))
  }
}
/** Events computed for a commit, posted once it is durable. */
export type Deliveries = { sub: Subscription; branch: string; commit: Commit; changes: PendingChange[] }[]

/** The subscriptions one commit reports to. */
export class Watch {
  constructor(
    readonly branch: string,
    private readonly subs: Subscription[],
  ) {}

  /** Whether some subscription's range holds `key`. */
  wants(key: Uint8Array): boolean {
    return this.subs.some((s) => keyInRange(key, s.range))
  }

  /**
   * The events of one commit from its changes in key order (called once); `decode` runs at
   * delivery, once per change however many ranges hold it.
   */
  events(commit: Commit, changes: Iterable<RawChange>, decode: (c: RawChange) => Change): Deliveries {
    const lists = this.subs.map(() => [] as PendingChange[])
    for (const raw of changes) {
      let change: PendingChange | undefined
      this.subs.forEach((s, i) => {
        if (keyInRange(raw.key, s.range)) lists[i]!.push((change ??= new PendingChange(raw, decode)))
      })
    }
    return this.subs.flatMap((sub, i) => (lists[i]!.length ? [{ sub, branch: this.branch, commit, changes: lists[i]! }] : []))
  }
}

export class Subscriptions {
  private readonly subs = new Set<Subscription>()
  private readonly outbox: Deliveries = []
  private draining = false

  constructor(
    /** A listener threw: reported, and the listener stays. */
    private readonly onListenerError: (e: unknown) => void,
    /** A change could not be read back for delivery (a damaged page): the commit stands. */
    private readonly onDeliveryError: (e: unknown) => void = onListenerError,
  ) {}

  /** Adds a listener for commits after generation `since`; returns its unsubscribe function. */
  add(branch: string, range: KeyRange, listener: ChangeListener, since: number): () => void {
    const sub: Subscription = { branch, range, listener, since }
    this.subs.add(sub)
    return () => void this.subs.delete(sub)
  }

  /**
   * The subscriptions a commit to `branch` at `generation` reports to, as a filter on keys and a
   * way to build its events; undefined (the common case) when nobody listens. Cost: O(subscriptions).
   */
  watch(branch: string, generation: number): Watch | undefined {
    if (!this.subs.size) return undefined // every commit asks: no allocation when nobody listens
    const subs = [...this.subs].filter((s) => s.branch === branch && generation > s.since)
    return subs.length ? new Watch(branch, subs) : undefined
  }

  /** Queues events for delivery in a microtask, after everything posted before them. */
  post(deliveries: Deliveries): void {
    if (!deliveries.length) return
    this.outbox.push(...deliveries)
    if (this.draining) return
    this.draining = true
    queueMicrotask(() => this.drain())
  }

  private drain(): void {
    this.draining = false
    for (const { sub, branch, commit, changes } of this.outbox.splice(0)) {
      if (!this.subs.has(sub)) continue // unsubscribed meanwhile
      let event: ChangeEvent
      try {
        event = { branch, commit, changes: changes.map((c) => c.get()) }
      } catch (e) {
        this.onDeliveryError(e)
        continue
      }
      try {
        sub.listener(event)
      } catch (e) {
        this.onListenerError(e)
      }
    }
  }
}
