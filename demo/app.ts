// The playground's shared state: the open database, which head (branch) the page works on, the
// point of the timeline being viewed, and the latest catalog and sample. Cards listen for:
//   'data'    the viewed data may differ (a commit on this branch, or another point selected)
//   'catalog' snapshots, history or branches changed
//   'sample'  a new stats()/metrics() sample (every second while the tab is visible)
//   'select'  another timeline point or branch was selected
//   'view'    another view (tab) is shown: cards of hidden views skip work and catch up then
import type { BranchInfo, BrowserDatabase, ReadOptions, SnapshotInfo, Stats, TenantInfo } from '@cowdb/browser'

export type Db = BrowserDatabase
/** Snapshots (main's and branches', and those of the tenants shown), branches, tenants. */
export type Catalog = { snapshots: SnapshotInfo[]; branches: BranchInfo[]; tenants: TenantInfo[] }
export type Role = 'leader' | 'follower'
export type Sample = { at: number; stats: Stats; metrics: string; role: Role }
export type AppEvent = 'data' | 'catalog' | 'sample' | 'select' | 'view'

class App extends EventTarget {
  db!: Db
  /** The head the page reads and writes: 'main', a branch's name or a tenant's. */
  branch = 'main'
  /** The snapshot (history entry or named) being viewed; undefined: the head, now. */
  at: string | undefined
  catalog: Catalog = { snapshots: [], branches: [], tenants: [] }
  sample: Sample | undefined
  /** What the diff and the tree compare the viewed point with: the point before it, or the head. */
  compare: 'previous' | 'head' = 'previous'

  /** Tells every listener of `type`. Cost: O(listeners). */
  emit(type: AppEvent): void {
    this.dispatchEvent(new Event(type))
  }

  /** Calls `fn` on each of `types`. Cost: O(1). */
  on(types: AppEvent[], fn: () => void): void {
    for (const t of types) this.addEventListener(t, fn)
  }

  /** Whether view `name` (explore, history, metrics, engine) is shown. Cost: O(1). */
  shows(name: string): boolean {
    return document.getElementById(`view-${name}`)?.hidden === false
  }

  /** Read options for the viewed point (with the head: a tenant's snapshots are read through it). Cost: O(1). */
  get readAt(): ReadOptions {
    return this.at ? { snapshot: this.at, branch: this.branch } : { branch: this.branch }
  }

  /** Every head: branches (main first), then tenants. Cost: O(heads). */
  get heads(): BranchInfo[] {
    return [...this.catalog.branches, ...this.catalog.tenants]
  }

  /** Whether `name` is a tenant. Cost: O(tenants). */
  isTenant(name: string): boolean {
    return this.catalog.tenants.some((t) => t.name === name)
  }

  /** Views `id` (undefined: the head); cards that follow the selection redraw. Cost: O(listeners). */
  select(id: string | undefined): void {
    if (id === this.at) return
    this.at = id
    this.emit('select')
    this.emit('data')
  }

  /** Works on branch `name` from now on, viewing its head. Cost: O(listeners). */
  switchBranch(name: string): void {
    if (name === this.branch) return
    this.branch = name
    this.at = undefined
    this.emit('select')
    this.emit('catalog')
    this.emit('data')
  }
}

/** The one app state of the page. */
export const app = new App()
