// Where each subscription of one client stands: the generation of its head up to which the
// subscriber has every change (catch-up.ts). A follower keeps it to make the subscription again on
// a new owner from that point, and to drop an event it already has (a late one of the old owner,
// or one the catch-up holds), so no event is delivered twice.

import type { ChangeEvent } from '@cowdb/core'

export class Marks {
  private readonly since = new Map<number, number>()

  /** The owner listens for `subscription` with the subscriber complete to `generation`. Cost: O(1). */
  listening(subscription: number, generation: number): void {
    this.since.set(subscription, Math.max(this.since.get(subscription) ?? -1, generation))
  }

  /**
   * Whether to deliver `event` of `subscription`: a commit past its mark (the mark moves to it), or
   * a reset (the mark becomes the reset's state, which may be older: the newer one was lost). Cost: O(1).
   */
  accept(subscription: number, event: ChangeEvent): boolean {
    const g = event.commit.generation
    if (!event.reset && g <= (this.since.get(subscription) ?? -1)) return false
    this.since.set(subscription, g)
    return true
  }

  /** The generation to catch up from, if the owner ever said. Cost: O(1). */
  of(subscription: number): number | undefined {
    return this.since.get(subscription)
  }

  /** The subscription ended. Cost: O(1). */
  drop(subscription: number): void {
    this.since.delete(subscription)
  }
}
