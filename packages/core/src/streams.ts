// What kind of snapshot stream each head is, and the retention each follows. A head is the main
// line, a branch, or a tenant: a head flagged as isolated, whose snapshots only it sees and which
// sees no other stream's (tenants.ts). Retention is the database's, or a head's own: a head
// without its own follows the database's, and changes with it. Both are saved in the Meta's
// `extra` (`retention`, and `heads: { name: { tenant?, retention? } }`), so a store written by an
// older cowdb opens with no tenant and one retention, and an older cowdb opens this one with
// every tenant as a plain branch.

import { historyOn, retentionPolicy, type RetentionPolicy } from './heads.js'
import type { Retention } from './types.js'

/** What the Meta's `extra` keeps per head. */
export type HeadExtra = Record<string, { tenant?: true; retention?: RetentionPolicy }>

export class Streams {
  private policy: RetentionPolicy
  private readonly tenants = new Set<string>()
  private readonly own = new Map<string, RetentionPolicy>()
  /** Whether some head keeps history (by its own retention or the database's). */
  historyAnywhere = false
  /** Whether the retention given at open differs from the saved one (the next checkpoint saves it). */
  readonly retentionChangedAtOpen: boolean

  /** From the Meta's `extra`, with the retention given at open (if any) over the saved one. */
  constructor(extra: Record<string, unknown> | undefined, given: Retention | undefined) {
    const saved = retentionPolicy(extra?.retention as Retention | undefined)
    this.policy = retentionPolicy(given, saved)
    this.retentionChangedAtOpen = JSON.stringify(this.policy) !== JSON.stringify(saved)
    for (const [name, x] of Object.entries((extra?.heads ?? {}) as HeadExtra)) this.add(name, !!x.tenant, x.retention && retentionPolicy(x.retention))
  }

  /** The database's retention: every head without its own follows it. */
  get retention(): RetentionPolicy {
    return this.policy
  }

  /** The retention `head` follows. Cost: O(1). */
  policyOf(head: string): RetentionPolicy {
    return this.own.get(head) ?? this.policy
  }

  /** Whether `head` has a retention of its own. */
  hasOwn(head: string): boolean {
    return this.own.has(head)
  }

  isTenant(head: string): boolean {
    return this.tenants.has(head)
  }

  /** A new head's kind and own retention. Cost: O(heads) (see historyAnywhere). */
  add(head: string, tenant: boolean, retention?: RetentionPolicy): void {
    if (tenant) this.tenants.add(head)
    if (retention) this.own.set(head, retention)
    this.update()
  }

  /** A head went. */
  forget(head: string): void {
    this.tenants.delete(head)
    this.own.delete(head)
    this.update()
  }

  /** Sets the database's retention (no `head`) or `head`'s own. */
  setPolicy(policy: RetentionPolicy, head?: string): void {
    if (head === undefined) this.policy = policy
    else this.own.set(head, policy)
    this.update()
  }

  /**
   * Whether a call on head `scope` may see a snapshot of stream `stream`: a tenant sees only its
   * own, and a tenant's snapshots are seen only through it; other heads see each other's.
   */
  sees(scope: string, stream: string): boolean {
    return this.tenants.has(scope) || this.tenants.has(stream) ? scope === stream : true
  }

  /** The Meta's `extra`. Cost: O(tenants + heads with their own retention). */
  extra(): Record<string, unknown> {
    const heads: HeadExtra = {}
    for (const name of this.tenants) heads[name] = { tenant: true }
    for (const [name, retention] of this.own) heads[name] = { ...heads[name], retention }
    return Object.keys(heads).length ? { retention: this.policy, heads } : { retention: this.policy }
  }

  private update(): void {
    this.historyAnywhere = historyOn(this.policy) || [...this.own.values()].some(historyOn)
  }
}
