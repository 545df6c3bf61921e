// Change notifications: each durable commit's changes to a subscribed key range of one head,
// delivered in commit order. The engine diffs the head's root before and after the commit (with
// a subscriber, every commit freezes its pages, so both stay intact until the flush), so
// deleteRange, restore, undo and redo are reported key by key just like puts.

import type { KeyRange } from './btree.js'
import type { RawChange } from './diff.js'
import { keyInRange } from './keys.js'
import type { Change, Commit } from './types.js'

/** One commit's changes inside one subscription's range, in key order. */
export type ChangeEvent = { branch: string; commit: Commit; changes: Change[] }
export type ChangeListener = (event: ChangeEvent) => void

type Subscription = { branch: string; range: KeyRange; listener: ChangeListener; since: number }
/** Events computed for a commit, posted once it is durable. */
export type Deliveries = { sub: Subscription; event: ChangeEvent }[]

export class Subscriptions {
  private readonly subs = new Set<Subscription>()
  private readonly outbox: Deliveries = []
  private draining = false

  constructor(private readonly onListenerError: (e: unknown) => void) {}

  /** Adds a listener for commits after generation `since`; returns its unsubscribe function. */
  add(branch: string, range: KeyRange, listener: ChangeListener, since: number): () => void {
    const sub: Subscription = { branch, range, listener, since }
    this.subs.add(sub)
    return () => void this.subs.delete(sub)
  }

  /** Whether a commit to `branch` needs its roots kept intact for a diff. Cost: O(subscriptions). */
  watching(branch: string): boolean {
    for (const s of this.subs) if (s.branch === branch) return true
    return false
  }

  /**
   * The events of one commit. `changes` is called (once) only if someone watches the branch;
   * each change is decoded once, however many ranges hold it.
   */
  collect(branch: string, commit: Commit, changes: () => Iterable<RawChange>, decode: (c: RawChange) => Change): Deliveries {
    const subs = [...this.subs].filter((s) => s.branch === branch && commit.generation > s.since)
    if (!subs.length) return []
    const lists = subs.map(() => [] as Change[])
    for (const raw of changes()) {
      let change: Change | undefined
      subs.forEach((s, i) => {
        if (keyInRange(raw.key, s.range)) lists[i]!.push((change ??= decode(raw)))
      })
    }
    return subs.flatMap((sub, i) => (lists[i]!.length ? [{ sub, event: { branch, commit, changes: lists[i]! } }] : []))
  }

  /** Queues events for delivery in a microtask, after everything posted before them. */
  post(deliveries: Deliveries): void {
    if (!deliveries.length) return
    this.outbox.push(...deliveries)
    if (this.draining) return
    this.draining = true
    queueMicrotask(() => this.drain())
  }

  clear(): void {
    this.subs.clear()
    this.outbox.length = 0
  }

  private drain(): void {
    this.draining = false
    for (const { sub, event } of this.outbox.splice(0)) {
      if (!this.subs.has(sub)) continue // unsubscribed meanwhile
      try {
        sub.listener(event)
      } catch (e) {
        this.onListenerError(e)
      }
    }
  }
}
