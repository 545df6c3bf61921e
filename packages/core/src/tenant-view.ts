// A handle on one tenant: the Database API scoped to it, over anything that has the tenant calls
// (the engine, the browser client), so it is written once. Everything a branch handle does
// (branch-view.ts), plus the tenant's own snapshot stream (snapshots, dropSnapshot), retention,
// backups, clones and drop. Every call carries `{ branch: name }`, which always wins over the
// caller's options; the engine then refuses any snapshot that is not this tenant's
// (SnapshotNotFoundError), so nothing reaches another tenant through a handle.

import { BranchView, type BranchTarget } from './branch-view.js'
import { SnapshotNotFoundError } from './errors.js'
import { MAIN, validBranchName } from './heads.js'
import type { Progress, Retention, SnapshotId, SnapshotInfo, TenantInfo, TenantOptions } from './types.js'

/** What a tenant handle needs from a database: a branch handle's calls and the tenant calls. */
export interface TenantTarget extends BranchTarget {
  /** Cost: as Database.snapshots. */
  snapshots(opts?: { branch?: string }): Promise<SnapshotInfo[]>
  /** Cost: as Database.dropSnapshot. */
  dropSnapshot(id: SnapshotId, opts?: { branch?: string }): Promise<void>
  /** Cost: as Database.setRetention. */
  setRetention(retention: Retention, opts?: { branch?: string }): Promise<void>
  /** Cost: as Database.getRetention. */
  getRetention(opts?: { branch?: string }): Promise<Required<Retention>>
  /** Cost: as Database.exportBackup. */
  exportBackup(opts?: { snapshot?: SnapshotId; since?: SnapshotId; keepSnapshot?: boolean; onProgress?: (p: Progress) => void; branch?: string }): Promise<Uint8Array>
  /** Cost: as Database.importBackup. */
  importBackup(bytes: Uint8Array, opts?: { onProgress?: (p: Progress) => void; tenant?: boolean; branch?: string }): Promise<SnapshotInfo>
  /** Every tenant, for info(). Cost: as Database.tenants. */
  tenants(opts?: { space?: boolean }): Promise<TenantInfo[]>
  /** For clone(). Cost: as Database.createTenant. */
  createTenant(name: string, opts?: TenantOptions): Promise<TenantInfo>
  /** For drop(). Cost: as Database.dropTenant. */
  dropTenant(name: string): Promise<void>
}

/** A tenant's name: a branch name that is not main's. TypeError otherwise. */
export function validTenantName(name: unknown): string {
  validBranchName(name)
  if (name === MAIN) throw new TypeError('cowdb: "main" is the main head, not a tenant name')
  return name as string
}

export class TenantView extends BranchView {
  /** TypeError for a name no tenant can have (see validTenantName). */
  constructor(
    private readonly target: TenantTarget,
    name: string,
  ) {
    super(target, validTenantName(name))
  }

  private get on(): { branch: string } {
    return { branch: this.name }
  }

  /** This tenant's snapshots (named and history), oldest first; never another's. Cost: as Database.snapshots, O(snapshots). */
  snapshots() {
    return this.target.snapshots(this.on)
  }
  /** Drops one of this tenant's snapshots (SnapshotNotFoundError for anyone else's). Cost: as Database.dropSnapshot, one WAL flush. */
  dropSnapshot(id: SnapshotId) {
    return this.target.dropSnapshot(id, this.on)
  }
  /** Sets this tenant's own retention (fields not given: those it follows now). Cost: as Database.setRetention, one WAL flush. */
  setRetention(retention: Retention) {
    return this.target.setRetention(retention, this.on)
  }
  /** The retention this tenant follows: its own, or the database's. Cost: O(1). */
  getRetention() {
    return this.target.getRetention(this.on)
  }
  /**
   * A backup of this tenant's head (or one of its snapshots; `since`: incremental from one of
   * them). Cost: as Database.exportBackup: O(entries) full; O(changed pages) incremental.
   */
  exportBackup(opts: { snapshot?: SnapshotId; since?: SnapshotId; keepSnapshot?: boolean; onProgress?: (p: Progress) => void } = {}) {
    return this.target.exportBackup({ ...opts, ...this.on })
  }
  /**
   * Loads a backup into this tenant, creating it (empty) first if it does not exist; a failed
   * import leaves none behind. Cost: as Database.importBackup: O(entries), then one commit.
   */
  importBackup(bytes: Uint8Array, opts: { onProgress?: (p: Progress) => void } = {}) {
    return this.target.importBackup(bytes, { ...opts, ...this.on, tenant: true })
  }
  /** A new tenant `name` as a clone of this one, at its head now or at one of its snapshots. Cost: O(1), no page is copied; one WAL flush. */
  async clone(name: string, opts: { snapshot?: SnapshotId; retention?: Retention } = {}): Promise<TenantView> {
    const { snapshot, retention } = opts
    await this.target.createTenant(name, { from: { tenant: this.name, ...(snapshot !== undefined ? { snapshot } : {}) }, ...(retention ? { retention } : {}) })
    return new TenantView(this.target, name)
  }
  /** Drops this tenant with every snapshot of it; what only it reached is freed in the background. Cost: as Database.dropTenant, one WAL flush. */
  drop() {
    return this.target.dropTenant(this.name)
  }
  /** This tenant's head, history, snapshot count and retention. Cost: as Database.tenants, O(snapshots). */
  override async info(): Promise<TenantInfo> {
    const info = (await this.target.tenants()).find((t) => t.name === this.name)
    if (!info) throw new SnapshotNotFoundError(`cowdb: no tenant ${JSON.stringify(this.name)}`)
    return info
  }
}
