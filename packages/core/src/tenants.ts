// Tenants: many independent snapshot streams in one store (docs/tenants.md). A tenant is a head
// flagged as isolated (streams.ts): it has its own head, undo history, named snapshots and
// retention, and shares the page file, the cache, the WAL, checkpoints and the gc with every
// other head. Isolation is the catalog's rule (Catalog.snapFor with a scope): a tenant sees only
// its own snapshots, and its snapshots are seen only through it. Creating one is one WAL record
// (empty, or an O(1) clone of another tenant's head or snapshot); dropping one is one record
// too, and what only it reached comes back by the background gc.
//
// This file is the engine's side: create, drop, list, the space each tenant alone holds, and the
// per-tenant metrics. The handle on one tenant (TenantView, the Database API scoped to it) is in
// tenant-view.ts, written once for the engine and the browser client.

import { Marker } from './gc.js'
import type { Tree } from './btree.js'
import type { Catalog } from './catalog.js'
import { CorruptionError, SnapshotNotFoundError } from './errors.js'
import { TenantStart, retentionPolicy, type Head } from './heads.js'
import { now, type Metric } from './metrics.js'
import type { Ref } from './node.js'
import { RecordType } from './records.js'
import { validTenantName } from './tenant-view.js'
import type { TenantInfo, TenantOptions } from './types.js'
import type { Writer } from './writer.js'

/** Tenants with their own `tenant` label in metrics() by default; the rest are summed as OTHER. */
export const TENANT_LABELS = 50
/** The label of the series that sums the tenants beyond the labelled ones. */
export const OTHER = '__other__'
/**
 * metrics() reuses the space each tenant alone holds (a walk of every live page) for at least a
 * minute, and for 20 times as long as the last walk took: the walks take at most 5% of the time.
 */
const SPACE_MIN_AGE_MS = 60_000
const SPACE_AGE_PER_WALK = 20
/** Pages the walk visits between yields, as the gc's marking does. */
const STEP_PAGES = 256
/** Walks that meet a page freed meanwhile (a snapshot dropped while it ran) start over this often. */
const WALK_TRIES = 3

/** What the tenants need from the engine. */
export type TenantHost = { catalog: Catalog; tree: Tree; writer: Writer; pageSize: () => number; labels: number; check: () => void }

export class Tenants {
  /** The last walk of the space each tenant alone holds (pages), and when it ran. */
  private space: { at: number; took: number; pages: Map<string, number> } | undefined
  private walking: Promise<Map<string, number>> | null = null

  constructor(private readonly h: TenantHost) {}

  /**
   * A new tenant: empty, or a clone of `opts.from.tenant` at its head now or at one of its
   * snapshots (`from.snapshot`), sharing every page with it; with `opts.retention`, its own
   * retention (fields not given: the database's). TypeError if the name is taken (a branch, a
   * tenant, or the snapshots of a dropped branch); SnapshotNotFoundError if the origin is not
   * there. Cost: O(1), one WAL flush.
   */
  create(name: string, opts: TenantOptions = {}): Promise<TenantInfo> {
    this.h.check()
    validTenantName(name)
    if (opts === null || typeof opts !== 'object') throw new TypeError('cowdb: createTenant() takes { from?, retention? }')
    const { from } = opts
    if (from !== undefined && (from === null || typeof from !== 'object' || typeof from.tenant !== 'string')) throw new TypeError('cowdb: createTenant() from is { tenant, snapshot? }')
    const { catalog, writer } = this.h
    const retention = opts.retention === undefined ? undefined : retentionPolicy(opts.retention, catalog.retention)
    const start = from === undefined ? TenantStart.Empty : from.snapshot === undefined ? TenantStart.Head : TenantStart.Snapshot
    const origin = from === undefined ? '' : (from.snapshot ?? from.tenant)
    return writer.logged(
      () => {
        if (!catalog.nameFree(name)) throw new TypeError(`cowdb: ${JSON.stringify(name)} is taken (by a branch, a tenant, or the snapshots of a dropped branch)`)
        if (from) this.headOf(from.tenant)
        if (from?.snapshot !== undefined) catalog.snapFor(from.snapshot, from.tenant) // one of its own
      },
      () => {
        writer.durablyLog({ type: RecordType.Tenant, name, start, from: origin, ...(retention ? { retention } : {}) }, () => catalog.addTenant(name, start, origin, retention))
        return this.infos([catalog.headOf(name)])[0]!
      },
    )
  }

  /**
   * Drops a tenant with its undo history and every snapshot of it. Readers open on it keep what
   * they read until they end; pages only it reached come back by a gc that starts in the
   * background. Cost: O(snapshots), one WAL flush.
   */
  drop(name: string): Promise<void> {
    this.h.check()
    validTenantName(name)
    return this.h.writer.logged(
      () => this.headOf(name),
      () => this.h.writer.durablyLog({ type: RecordType.DropTenant, name }, () => this.h.catalog.dropTenant(name)),
    )
  }

  /**
   * Every tenant, by name; with `space`, the bytes of the pages only it reaches (a walk of every
   * live page). Cost: O(tenants + snapshots), with `space` O(live pages) reads.
   */
  async list(opts: { space?: boolean } = {}): Promise<TenantInfo[]> {
    this.h.check()
    if (opts === null || typeof opts !== 'object') throw new TypeError('cowdb: tenants() takes { space? }')
    const pages = opts.space ? await this.exclusivePages() : undefined
    const infos = this.infos(this.h.catalog.tenantHeads())
    if (pages) for (const t of infos) t.bytes = (pages.get(t.name) ?? 0) * this.h.pageSize()
    return infos
  }

  /**
   * Runs `load` (an import) into tenant `name`, created (empty) first if missing and dropped again
   * if `load` fails; without a name, just `load`. TypeError if `name` is a head but not a tenant.
   * Cost: `load`, plus one WAL flush to create (and one to drop after a failure).
   */
  async into<T>(name: string | undefined, load: () => Promise<T>): Promise<T> {
    if (name === undefined) return load()
    validTenantName(name)
    const created = !this.h.catalog.hasHead(name)
    if (created) await this.create(name)
    else this.h.catalog.headOfKind(name, true)
    try {
      return await load()
    } catch (e) {
      if (created) await this.drop(name).catch(() => {}) // a rejected import leaves no tenant behind
      throw e
    }
  }

  /**
   * The pages (written slots) only each tenant reaches from its head and snapshots: no other
   * head's or snapshot's root reaches them. Pages only memory holds (until the next checkpoint)
   * are not counted. The walk visits STEP_PAGES pages between yields, so writers go on; every
   * head is pinned while it runs (a reader each), so no page it walks is freed under it, but a
   * snapshot dropped meanwhile may be: then it starts over (WALK_TRIES times). One walk at a
   * time: a call while one runs shares it.
   * Cost: O(live pages) reads, a page shared by k tenants read k times.
   */
  exclusivePages(): Promise<Map<string, number>> {
    this.walking ??= this.walkWithRetries().finally(() => (this.walking = null))
    return this.walking
  }

  private async walkWithRetries(): Promise<Map<string, number>> {
    for (let attempt = 1; ; attempt++) {
      try {
        const started = now()
        const pages = await this.walk()
        this.space = { at: now(), took: now() - started, pages }
        return pages
      } catch (e) {
        if (!(e instanceof CorruptionError) || attempt >= WALK_TRIES) throw e
      }
    }
  }

  private async walk(): Promise<Map<string, number>> {
    const { catalog, tree } = this.h
    const pins = [...catalog.headList()].map((head) => catalog.pin({ branch: head.name }))
    try {
      const groups = new Map<string, (Ref | null)[]>()
      const others: (Ref | null)[] = []
      const add = (stream: string, root: Ref | null) => {
        if (!catalog.streams.isTenant(stream)) return others.push(root)
        groups.get(stream)?.push(root) ?? groups.set(stream, [root])
      }
      for (const head of catalog.headList()) add(head.name, head.root)
      for (const s of catalog.snapList()) add(s.branch, s.root)
      const owner = new Map<number, string | null>() // slot -> the one tenant that reaches it, or null
      // yield every STEP_PAGES pages over all groups (most tenants are smaller than a step)
      let budget = STEP_PAGES
      const spend = async (pages: number) => {
        budget -= Math.max(1, pages)
        if (budget > 0) return
        await new Promise<void>((resolve) => setTimeout(resolve, 0))
        this.h.check()
        budget = STEP_PAGES
      }
      const mark = async (roots: (Ref | null)[]) => {
        const m = new Marker(tree, roots)
        for (let done = false; !done; ) {
          const before = m.marked.size
          done = m.step(budget)
          await spend(m.marked.size - before)
        }
        return m.marked
      }
      for (const slot of await mark(others)) owner.set(slot, null)
      for (const [name, roots] of groups) for (const slot of await mark(roots)) owner.set(slot, owner.has(slot) ? null : name)
      const pages = new Map<string, number>()
      for (const name of owner.values()) if (name !== null) pages.set(name, (pages.get(name) ?? 0) + 1)
      return pages
    } finally {
      for (const p of pins) catalog.unpin(p.id)
    }
  }

  /**
   * Per-tenant metrics, labelled `tenant`: pages created, root updates, snapshot age, snapshots
   * kept and the bytes only it holds. The `labels` largest tenants (by those bytes, then name)
   * get their own series; the others are summed in one series labelled OTHER (snapshot age: the
   * oldest of theirs). The bytes come from the last walk of every live page (exclusivePages);
   * one older than a minute (and than 20 times what it took) starts a new walk in the
   * background, and until a first one has ended there is no bytes series (and the ranking is by
   * name).
   * Cost: O(tenants log tenants + snapshots); the walk runs apart.
   */
  metrics(): Metric[] {
    const { catalog } = this.h
    const heads = catalog.tenantHeads()
    const stale = !this.space || now() - this.space.at > Math.max(SPACE_MIN_AGE_MS, SPACE_AGE_PER_WALK * this.space.took)
    if (heads.length && stale) this.exclusivePages().catch(() => {}) // the next scrape tries again
    const pages = this.space?.pages ?? new Map<string, number>()
    const counts = this.snapshotCounts()
    const newest = new Map<string, number>()
    for (const s of catalog.snapList()) if (s.kind === 'named' && catalog.streams.isTenant(s.branch)) newest.set(s.branch, Math.max(newest.get(s.branch) ?? 0, s.createdAt))
    type Row = { created: number; updates: number; age: number; snapshots: number; bytes: number }
    const row = (h: Head): Row => {
      const at = newest.get(h.name)
      return { created: h.pagesCreated ?? 0, updates: h.rootUpdates ?? 0, age: at ? (Date.now() - at) / 1000 : 0, snapshots: counts.get(h.name)?.all ?? 0, bytes: (pages.get(h.name) ?? 0) * this.h.pageSize() }
    }
    const ranked = heads.map((h) => ({ name: h.name, row: row(h) })).sort((a, b) => b.row.bytes - a.row.bytes || (a.name < b.name ? -1 : 1))
    const shown = ranked.slice(0, this.h.labels)
    const rest = ranked.slice(this.h.labels)
    if (rest.length) {
      const sum = (f: (r: Row) => number) => rest.reduce((t, r) => t + f(r.row), 0)
      shown.push({ name: OTHER, row: { created: sum((r) => r.created), updates: sum((r) => r.updates), age: Math.max(...rest.map((r) => r.row.age)), snapshots: sum((r) => r.snapshots), bytes: sum((r) => r.bytes) } })
    }
    const out: Metric[] = [{ name: 'cow_tenants', help: 'Tenants in the store.', type: 'gauge', value: heads.length }]
    const series = (name: string, help: string, type: 'counter' | 'gauge', f: (r: Row) => number) => {
      for (const { name: tenant, row } of shown) out.push({ name, help, type, value: f(row), labels: { tenant } })
    }
    series('cow_tenant_pages_created_total', 'Pages created by writes to the tenant since open.', 'counter', (r) => r.created)
    series('cow_tenant_root_updates_total', "Root switches of the tenant's head (commits, restores, undo, redo) since open.", 'counter', (r) => r.updates)
    series('cow_tenant_snapshot_age_seconds', "Age of the tenant's newest named snapshot (0: none).", 'gauge', (r) => r.age)
    series('cow_tenant_snapshots', 'Snapshots the tenant keeps (named and history).', 'gauge', (r) => r.snapshots)
    if (this.space) series('cow_tenant_exclusive_bytes', 'Bytes of the pages only the tenant reaches (freed if it is dropped), from the last walk of every live page (walks at least a minute apart, at most 5% of the time).', 'gauge', (r) => r.bytes)
    return out
  }

  /** A tenant's head: SnapshotNotFoundError if there is none, TypeError if `name` is a branch. */
  private headOf(name: string): Head {
    if (!this.h.catalog.hasHead(name)) throw new SnapshotNotFoundError(`cowdb: no tenant ${JSON.stringify(name)}`)
    return this.h.catalog.headOfKind(name, true)
  }

  private infos(heads: Head[]): TenantInfo[] {
    const { catalog } = this.h
    const counts = this.snapshotCounts()
    return heads.map((h) => ({
      ...catalog.branchInfo(h),
      snapshots: counts.get(h.name)?.named ?? 0,
      retention: { ...catalog.streams.policyOf(h.name) },
      ownRetention: catalog.streams.hasOwn(h.name),
    }))
  }

  /** Per tenant: its named snapshots, and all it keeps. Cost: O(snapshots). */
  private snapshotCounts(): Map<string, { named: number; all: number }> {
    const counts = new Map<string, { named: number; all: number }>()
    for (const s of this.h.catalog.snapList()) {
      if (!this.h.catalog.streams.isTenant(s.branch)) continue
      const c = counts.get(s.branch) ?? { named: 0, all: 0 }
      c.all++
      if (s.kind === 'named') c.named++
      counts.set(s.branch, c)
    }
    return counts
  }
}
