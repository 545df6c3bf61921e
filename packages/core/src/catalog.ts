// The catalog of roots: every root the engine keeps alive, and nothing else. Heads (the main
// line, branches and tenants, each with its undo history and cursor), snapshots (named and
// history), and the roots pinned by open readers; the generation counter; the snapshot-id clock.
// Which heads are tenants and which retention each follows is streams.ts's. A root that gains a
// second holder (a snapshot, a branch, a reader, a head switch) freezes the tree here: later
// writes must copy its pages, not edit them.
//
// It also knows the newest generation any snapshot or reader holds (`retainedGen`): pages newer
// than that are the head's alone, which is what makes the cheap free path (space.ts) safe.

import type { Tree } from './btree.js'
import { DeadLists, type Dead } from './deadlist.js'
import { ClosedError, SnapshotNotFoundError } from './errors.js'
import { MAIN, TenantStart, expiredCount, historyOn, isInternal, pushHistory, validBranchName, type Head, type RetentionPolicy, type Stamp } from './heads.js'
import { Hlc, parseHlc } from './hlc.js'
import { Streams } from './streams.js'
import type { Ref } from './node.js'
import type { Meta, SnapshotRecord } from './store.js'
import type { BranchInfo, Commit, ReadOptions, Retention, SnapshotId, SnapshotInfo } from './types.js'

/** A snapshot in memory: its root may still be an unwritten node until the next checkpoint. */
export type Snap = Omit<SnapshotRecord, 'root'> & { root: Ref | null }
/** A root pinned by a reader, and the pin's id. */
export type Pin = { id: number; root: Ref | null }
/** What a large commit may have to undo in the catalog if its checkpoint fails (see capture). */
export type CatalogState = { roots: Map<string, Ref | null>; generation: number; branch: string; history: string[]; cursor: number; snaps: Map<string, Snap> }

/** Read options plus the internal pin a transaction reads through. */
export type PinnedReadOptions = ReadOptions & { reader?: number }
/** The head, and the generation of its state, that a pinned root is. */
type Owner = { head: string; gen: number }

export class Catalog {
  /** The main line and the branches, by name. */
  private heads = new Map<string, Head>()
  private snaps = new Map<string, Snap>()
  /** Heads with commits stamped for history since the last flush (not in `history` yet). */
  private stampedSinceFlush = new Set<string>()
  /** Roots pinned by open readers (iterators), with their generation and the head they belong to. */
  private readers = new Map<number, { root: Ref | null; generation: number; owner?: Owner }>()
  /** Pages copied away while retained roots still reach them (deadlist.ts). */
  private readonly dead = new DeadLists()
  /** Per head: how many times its head moved to another root (restore, undo, redo); see died(). */
  private readonly switches = new Map<string, number>()
  // random start: a tab that takes over a shared database must not reuse a reader id another
  // tab still holds from the previous owner
  private nextReader = 1 + Math.floor(Math.random() * 2 ** 40)
  private retained = -1
  /** The number of the last commit (every head shares one counter). */
  private gen: number
  /** Which heads are tenants, and the retention each follows. */
  readonly streams: Streams
  readonly hlc: Hlc
  /** Hook: a snapshot, history entry or branch went; `schedule`: start a gc soon (space.ts). */
  onDropped: (schedule: boolean) => void = () => {}
  /** Hook: something only a checkpoint saves changed (retention, branches). */
  onChanged: () => void = () => {}
  /** Hook: slots that no retained root reaches any more (a root went): free after the next Meta save. */
  onFreed: (slots: number[]) => void = () => {}

  constructor(
    private readonly tree: Tree,
    meta: Meta,
    retention: Retention | undefined,
    readonly clock: () => number,
  ) {
    this.hlc = new Hlc(clock)
    this.hlc.observe(meta.hlc)
    // a retention given at open is kept for later opens (saved by the next checkpoint)
    this.streams = new Streams(meta.extra, retention)
    for (const h of meta.heads) this.heads.set(h.name, { name: h.name, root: h.root, history: [], cursor: -1, generation: h.generation })
    if (!this.heads.has(MAIN)) this.heads.set(MAIN, { name: MAIN, root: null, history: [], cursor: -1 })
    this.gen = meta.generation
    for (const s of meta.snapshots) this.snaps.set(s.id, { ...s })
    for (const s of [...this.snaps.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) if (s.kind === 'history') this.heads.get(s.branch)?.history.push(s.id)
    for (const h of meta.heads) {
      const head = this.heads.get(h.name)!
      const at = h.cursor === undefined ? -1 : head.history.indexOf(h.cursor)
      head.cursor = at >= 0 ? at : head.history.length - 1
    }
    this.trackRoots()
    this.recomputeRetained()
  }

  /**
   * Rebuilds the deadlists' view of the retained roots from the catalog, forgetting every group
   * (at open, and after a large commit rolled back the catalog): what it forgets, the gc finds.
   * Pages written before now may be shared in ways not tracked: none of them is tracked.
   */
  private trackRoots(): void {
    for (const name of this.heads.keys()) this.dead.drop(name)
    // with more than one lineage (branches, or snapshots of a dropped branch) any page may be shared
    const lineages = new Set([...this.heads.keys(), ...[...this.snaps.values()].map((s) => s.branch)])
    if (lineages.size > 1) for (const name of this.heads.keys()) this.dead.share(name, this.gen)
    for (const s of this.snaps.values()) this.dead.retain(s.branch, s.generation)
    for (const r of this.readers.values()) if (r.owner) this.dead.retain(r.owner.head, r.owner.gen)
  }

  // ---- generation and retention ---------------------------------------------------------------

  get generation(): number {
    return this.gen
  }

  /** Starts the next commit: its number, also stamped on the pages it creates. */
  nextGeneration(): number {
    this.gen++
    this.tree.gen = this.gen
    return this.gen
  }

  /** Rolls the counter back to a flushed state (the commits after it failed). */
  rollbackGeneration(generation: number): void {
    this.gen = generation
  }

  /** The database's retention: every head without its own follows it. */
  get retention(): RetentionPolicy {
    return this.streams.retention
  }

  /** The newest generation any snapshot or reader holds; pages newer than it are the head's alone. */
  get retainedGen(): number {
    return this.retained
  }

  // ---- heads ----------------------------------------------------------------------------------

  headOf(branch: string): Head {
    const h = this.heads.get(branch)
    if (!h) throw new SnapshotNotFoundError(`cowdb: no branch ${JSON.stringify(branch)}`)
    return h
  }

  hasHead(name: string): boolean {
    return this.heads.has(name)
  }

  /** Every head, in creation order. */
  headList(): IterableIterator<Head> {
    return this.heads.values()
  }

  /** Every head's root, by name. Cost: O(heads). */
  roots(): Map<string, Ref | null> {
    const roots = new Map<string, Ref | null>()
    for (const [name, h] of this.heads) roots.set(name, h.root)
    return roots
  }

  /** Puts heads back at `roots` (a failed flush or checkpoint). */
  setRoots(roots: Map<string, Ref | null>): void {
    for (const [name, root] of roots) {
      const h = this.heads.get(name)
      if (h) h.root = root
    }
  }

  /** The generation and root a call on `branch` reports. */
  commitInfo(branch = MAIN): Commit {
    const root = this.headOf(branch).root
    return { generation: this.gen, root: root ? root.id : 0 }
  }

  /** A commit's stamp: its head, and the history ids it pushes (none when history is off). */
  stampFor(branch: string): Stamp {
    if (!historyOn(this.streams.policyOf(branch))) return { branch, history: [] }
    const head = this.headOf(branch)
    // the first commit with history also records the state it starts from, to undo back to
    const first = !head.history.length && !this.stampedSinceFlush.has(branch)
    this.stampedSinceFlush.add(branch)
    return { branch, history: first ? [this.hlc.next(), this.hlc.next()] : [this.hlc.next()] }
  }

  /** At a flush: the stamped commits are about to enter their heads' history. */
  clearStamps(): void {
    this.stampedSinceFlush.clear()
  }

  /** A commit still waiting for the flush has stamped `branch` (after a rollback re-applied it). */
  markStamped(branch: string): void {
    this.stampedSinceFlush.add(branch)
  }

  /**
   * Moves `branch`'s head to `root` as a new commit (restore, undo, redo) and returns the root it
   * had. Both roots are shared now, so the tree freezes.
   */
  switchHead(branch: string, root: Ref | null, cursor?: number, from?: Snap): Ref | null {
    const head = this.headOf(branch)
    const before = head.root
    // pages the head had copied away may be in its tree again; another head's are shared now
    this.dead.forget(branch)
    this.switches.set(branch, (this.switches.get(branch) ?? 0) + 1)
    if (from && from.branch !== branch) {
      this.dead.share(branch, this.gen)
      this.dead.share(from.branch, this.gen)
    }
    head.generation = this.nextGeneration()
    head.root = root
    if (cursor !== undefined) head.cursor = cursor
    this.tree.freeze()
    return before
  }

  /**
   * Records a durable commit's root in its head's history (the stamp's ids; a first commit also
   * records the state before it, which is the previous generation's root of the head). The
   * entries that retention drops go, and a gc is wanted for their pages.
   */
  recordHistory(stamp: Stamp, generation: number, roots: { before: Ref | null; after: Ref | null }): void {
    if (!stamp.history.length) return
    const head = this.headOf(stamp.branch)
    const ids = stamp.history
    const add = (id: string, root: Ref | null, gen: number) => {
      this.snaps.set(id, { id, root, generation: gen, createdAt: parseHlc(id)?.wall ?? 0, kind: 'history', branch: stamp.branch })
      this.dead.retain(stamp.branch, gen)
      this.hlc.observe(id)
      const dropped = pushHistory(head, id, (x) => this.snaps.get(x)?.createdAt ?? 0, this.streams.policyOf(stamp.branch), this.clock())
      for (const gone of dropped) this.forgetSnapshot(gone)
      if (dropped.length) this.onDropped(false)
    }
    if (ids.length === 2) add(ids[0]!, roots.before, generation - 1)
    add(ids[ids.length - 1]!, roots.after, generation)
    this.recomputeRetained()
  }

  /** What a large commit on `branch` changes here, to roll back to if its checkpoint fails. */
  capture(branch: string): CatalogState {
    const head = this.headOf(branch)
    return { roots: this.roots(), generation: this.gen, branch, history: head.history.slice(), cursor: head.cursor, snaps: new Map(this.snaps) }
  }

  rollback(s: CatalogState): void {
    const head = this.headOf(s.branch)
    this.setRoots(s.roots)
    this.gen = s.generation
    head.history = s.history
    head.cursor = s.cursor
    this.snaps = s.snaps
    this.trackRoots()
    this.recomputeRetained()
  }

  // ---- branches -------------------------------------------------------------------------------

  /** A new head at main's head, or at snapshot `from`; the two share every page. */
  addBranch(name: string, from: string): void {
    const root = from ? this.snapFor(from).root : this.headOf(MAIN).root
    this.tree.freeze() // the two heads share these pages now
    this.dead.share(from ? this.snapFor(from).branch : MAIN, this.gen)
    this.dead.drop(name)
    this.dead.share(name, this.gen)
    this.heads.set(name, { name, root, history: [], cursor: -1, generation: this.gen })
    this.onChanged()
  }

  dropBranch(name: string): void {
    this.dropHead(name, (s) => s.kind === 'history') // its named snapshots stay, with their retained roots
  }

  /**
   * A new tenant: an empty head, or a clone of tenant `from`'s head (start Head) or of snapshot
   * `from` (start Snapshot), sharing every page with it. Cost: O(1).
   */
  addTenant(name: string, start: TenantStart, from: string, retention?: RetentionPolicy): void {
    let root: Ref | null = null
    if (start !== TenantStart.Empty) {
      const origin = start === TenantStart.Head ? this.headOf(from) : this.snapFor(from)
      root = origin.root
      this.tree.freeze() // the two share these pages now
      this.dead.share(start === TenantStart.Head ? from : (origin as Snap).branch, this.gen)
    }
    this.dead.drop(name)
    if (root) this.dead.share(name, this.gen)
    this.heads.set(name, { name, root, history: [], cursor: -1, generation: this.gen })
    this.streams.add(name, true, retention)
    this.onChanged()
  }

  /** A tenant goes with every snapshot of its stream: what only it reached is the gc's. Cost: O(snapshots). */
  dropTenant(name: string): void {
    this.dropHead(name, () => true)
  }

  /** Removes head `name` and its snapshots that `drop` picks; its own groups go to the gc. */
  private dropHead(name: string, drop: (s: Snap) => boolean): void {
    const head = this.heads.get(name)
    if (head) head.history = []
    for (const s of [...this.snaps.values()]) if (s.branch === name && drop(s)) this.forgetSnapshot(s.id)
    this.heads.delete(name)
    this.streams.forget(name)
    this.dead.forget(name)
    this.recomputeRetained()
    this.onChanged()
    this.onDropped(true)
  }

  /** Head `name`, which must be a tenant (`tenant: true`) or must not be one (`false`): TypeError otherwise. */
  headOfKind(name: string, tenant: boolean): Head {
    const h = this.headOf(name)
    if (this.streams.isTenant(name) !== tenant) throw new TypeError(`cowdb: ${JSON.stringify(name)} is ${tenant ? 'a branch, not a tenant' : 'a tenant: use dropTenant()'}`)
    return h
  }

  /** Whether a name is free for a new head: no head has it, and no snapshot's stream (of a dropped branch) carries it. */
  nameFree(name: string): boolean {
    if (this.heads.has(name)) return false
    for (const s of this.snaps.values()) if (s.branch === name) return false
    return true
  }

  branchInfo(h: Head): BranchInfo {
    return {
      name: h.name,
      root: h.root ? h.root.id : 0,
      generation: h.generation ?? 0,
      history: h.history.length,
      undoable: Math.max(0, h.cursor),
      redoable: h.cursor < 0 ? 0 : h.history.length - 1 - h.cursor,
    }
  }

  /** Every head but tenants (and internal ones unless `internal`): main first, then branches by name. Cost: O(heads log heads). */
  branchInfos(internal = false): BranchInfo[] {
    const list = [...this.heads.values()].filter((h) => !this.streams.isTenant(h.name) && (internal || !isInternal(h.name))).sort((a, b) => (a.name === MAIN ? -1 : b.name === MAIN ? 1 : a.name < b.name ? -1 : 1))
    return list.map((h) => this.branchInfo(h))
  }

  /** Every tenant's head, by name. Cost: O(heads log heads). */
  tenantHeads(): Head[] {
    return [...this.heads.values()].filter((h) => this.streams.isTenant(h.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  // ---- snapshots ------------------------------------------------------------------------------

  /**
   * Snapshot `id`; with `scope` (the head a call works on), only if that head may see it: a
   * tenant sees its own snapshots only, and a tenant's snapshots are seen only through it. Else
   * SnapshotNotFoundError, as for an id that does not exist. Cost: O(1).
   */
  snapFor(id: SnapshotId, scope?: string): Snap {
    if (typeof id !== 'string') throw new TypeError(`cowdb: a snapshot id is a string, got ${typeof id}`)
    const s = this.snaps.get(id)
    if (!s || (scope !== undefined && !this.streams.sees(scope, s.branch))) {
      throw new SnapshotNotFoundError(`cowdb: no snapshot ${JSON.stringify(id)}${scope === undefined ? '' : ` on ${this.streams.isTenant(scope) ? 'tenant' : 'head'} ${JSON.stringify(scope)}`}`)
    }
    return s
  }

  /** Every snapshot, in creation order (mutable: the checkpoint points them at written pages). */
  snapList(): IterableIterator<Snap> {
    return this.snaps.values()
  }

  /** The catalog's part of Database.stats(). Cost: O(snapshots). */
  stats(): { generation: number; snapshots: number; namedSnapshots: number; historyEntries: number; pagesInDeadlists: number } {
    const { named, history } = this.snapshotCounts()
    return { generation: this.gen, snapshots: named + history, namedSnapshots: named, historyEntries: history, pagesInDeadlists: this.dead.size }
  }

  /** Snapshots retained: named ones, and history entries (one per commit, for undo). Cost: O(snapshots). */
  snapshotCounts(): { named: number; history: number } {
    let history = 0
    for (const s of this.snaps.values()) if (s.kind === 'history') history++
    return { named: this.snaps.size - history, history }
  }

  /** A new named snapshot of `branch`'s head (not added yet: its record is logged first). */
  newSnapshot(label: string | undefined, branch: string): Snap {
    const id = this.hlc.next()
    return { id, root: this.headOf(branch).root, generation: this.gen, createdAt: parseHlc(id)!.wall, kind: 'named', branch, ...(label !== undefined ? { label } : {}) }
  }

  /** Adds a snapshot of its branch's head as it is now. */
  addSnapshot(snap: Snap): void {
    snap.root = this.headOf(snap.branch).root
    snap.generation = this.gen
    this.insertSnapshot(snap)
  }

  /** Adds a snapshot with the root and generation it carries (taken earlier in the writers' line). */
  insertSnapshot(snap: Snap): void {
    this.tree.freeze()
    this.snaps.set(snap.id, snap)
    this.dead.retain(snap.branch, snap.generation)
    this.recomputeRetained()
    this.expireNamed(this.streams.hasOwn(snap.branch) ? snap.branch : undefined)
  }

  /**
   * With `keepNamed: false`, named snapshots age out by keepLast/keepFor like history does: those
   * of a head with its own retention by it (`stream`), the others together by the database's
   * (no `stream`). Cost: O(snapshots log snapshots).
   */
  expireNamed(stream?: string): void {
    const p = stream === undefined ? this.streams.retention : this.streams.policyOf(stream)
    if (p.keepNamed || !historyOn(p)) return
    const mine = (s: Snap) => (stream === undefined ? !this.streams.hasOwn(s.branch) : s.branch === stream)
    const named = [...this.snaps.values()].filter((s) => s.kind === 'named' && mine(s)).map((s) => s.id).sort()
    const drop = expiredCount(named, (id) => this.snaps.get(id)!.createdAt, p, this.clock())
    for (const id of named.slice(0, drop)) this.removeSnapshot(id)
  }

  /** expireNamed for every group: the database's, and each head with its own retention (at open). */
  expireAllNamed(): void {
    this.expireNamed()
    for (const h of [...this.heads.keys()]) if (this.streams.hasOwn(h)) this.expireNamed(h)
  }

  removeSnapshot(id: string): void {
    const snap = this.snaps.get(id)
    const head = snap?.kind === 'history' ? this.heads.get(snap.branch) : undefined
    const at = head ? head.history.indexOf(id) : -1
    if (head && at >= 0) {
      head.history.splice(at, 1)
      if (at <= head.cursor) head.cursor = Math.max(head.history.length ? 0 : -1, head.cursor - 1)
    }
    this.forgetSnapshot(id)
    this.recomputeRetained()
    this.onDropped(true)
  }

  /** A snapshot leaves the table; its root is no longer retained. */
  private forgetSnapshot(id: string): void {
    const snap = this.snaps.get(id)
    if (!snap) return
    this.snaps.delete(id)
    this.freed(this.dead.release(snap.branch, snap.generation))
  }

  private freed(slots: number[]): void {
    if (slots.length) this.onFreed(slots)
  }

  /**
   * A page copied away from `d.head` (commit of generation `d.died`), reported once its commit is
   * durable: 'free' when no retained root reaches it, 'held' while one does (freed when that root
   * goes), 'untracked' when it may be shared or the head moved since (the gc finds it).
   * Cost: O(log roots).
   */
  died(head: string, d: Dead, switches: number): 'free' | 'held' | 'untracked' {
    if (!this.heads.has(head) || (this.switches.get(head) ?? 0) !== switches) return 'untracked'
    return this.dead.died(head, d)
  }

  /**
   * Whether a page of `head` born at `born` is the head's alone: born after every point where the
   * head shared its pages (a branch from it, a restore from another head's snapshot).
   */
  ownedBy(head: string, born: number): boolean {
    return born > this.dead.sharedUpTo(head)
  }

  /** How many times `head` moved to another root: a copied-away page is reported with it (see died()). */
  switchCount(head: string): number {
    return this.switches.get(head) ?? 0
  }

  /** After a gc freed `slots`: no group may free them again. Cost: O(deadlist entries). */
  gcFreed(slots: Set<number>): void {
    this.dead.without(slots)
  }

  /** After compaction: pages in deadlists follow their copies; the other `freed` slots leave them. Cost: O(deadlist entries). */
  relocated(moves: Map<number, number>, freed: Set<number>): void {
    this.dead.relocate(moves, freed)
  }

  /** Pages waiting in deadlists. */
  get deadCount(): number {
    return this.dead.size
  }

  /**
   * Every snapshot, oldest first; with `stream`, those of that head only. Without, a tenant's
   * are left out (they are seen through their tenant). Internal ones (a label or head named
   * `cowdb-...`) only with `internal`. Cost: O(snapshots log snapshots).
   */
  snapshotInfos(stream?: string, internal = false): SnapshotInfo[] {
    const own = (s: Snap) => internal || !(isInternal(s.label) || isInternal(s.branch))
    const shown = (s: Snap) => own(s) && (stream === undefined ? !this.streams.isTenant(s.branch) : s.branch === stream)
    return [...this.snaps.values()].filter(shown).sort((a, b) => (a.id < b.id ? -1 : 1)).map(snapshotInfo)
  }

  /** Whether some snapshot that head `scope` may see carries `label` (any, without a scope). Cost: O(snapshots). */
  hasLabel(label: string, scope?: string): boolean {
    for (const s of this.snaps.values()) if (s.label === label && (scope === undefined || this.streams.sees(scope, s.branch))) return true
    return false
  }

  /** When the newest named snapshot (of `stream`, or of any) was taken (0: none). Cost: O(snapshots). */
  newestSnapshotTime(stream?: string): number {
    let newest = 0
    for (const snap of this.snaps.values()) if (snap.kind === 'named' && (stream === undefined || snap.branch === stream)) newest = Math.max(newest, snap.createdAt)
    return newest
  }

  /**
   * Changes the database's retention (no `branch`: every head without its own follows it) or
   * `branch`'s own. A head whose history turns off loses the history it kept.
   */
  setRetention(policy: RetentionPolicy, branch?: string): void {
    if (branch !== undefined && !this.heads.has(branch)) return // dropped since (a replay)
    this.streams.setPolicy(policy, branch)
    this.onChanged()
    const follows = (s: Snap) => (branch !== undefined ? s.branch === branch : !this.streams.hasOwn(s.branch))
    if (!historyOn(policy)) for (const s of [...this.snaps.values()]) if (s.kind === 'history' && follows(s)) this.removeSnapshot(s.id)
    this.expireNamed(branch)
    this.recomputeRetained()
  }

  // ---- readers --------------------------------------------------------------------------------

  /**
   * Holds the pages of the root that `at` names (a head, a snapshot, another pin, or the empty
   * tree) alive until unpin(). Cost: O(log roots).
   */
  pin(at: PinnedReadOptions | undefined | 'empty'): Pin {
    const root = at === 'empty' ? null : this.rootFor(at)
    const owner = at === 'empty' ? undefined : this.ownerOf(at)
    const id = this.nextReader++
    this.tree.freeze()
    this.readers.set(id, { root, generation: this.gen, owner })
    if (owner) this.dead.retain(owner.head, owner.gen)
    this.recomputeRetained()
    return { id, root }
  }

  unpin(id: number): void {
    const r = this.readers.get(id)
    this.readers.delete(id)
    this.recomputeRetained()
    if (r?.owner) this.freed(this.dead.release(r.owner.head, r.owner.gen))
    // commits copied pages away while it read: those only it held wait for a gc now
    if (r && r.generation < this.gen) this.onDropped(true)
  }

  /** Which head's state at which generation a pin holds. */
  private ownerOf(at: PinnedReadOptions | undefined): Owner | undefined {
    if (at?.reader !== undefined) return this.readers.get(at.reader)?.owner
    if (at?.snapshot !== undefined) {
      const s = this.snapFor(at.snapshot)
      return { head: s.branch, gen: s.generation }
    }
    return { head: at?.branch ?? MAIN, gen: this.gen }
  }

  /** The root a read with these options sees (TypeError if the options are bad). */
  rootFor(opts: PinnedReadOptions | undefined): Ref | null {
    if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw new TypeError('cowdb: read options must be an object')
    if (opts?.reader !== undefined) {
      const r = this.readers.get(opts.reader)
      if (!r) throw new ClosedError(`cowdb: reader ${opts.reader} has ended`)
      return r.root
    }
    const branch = opts?.branch === undefined ? MAIN : validBranchName(opts.branch)
    if (opts?.snapshot !== undefined) return this.snapFor(opts.snapshot, branch).root
    return this.headOf(branch).root
  }

  // ---- roots for gc and compaction --------------------------------------------------------------

  /** Every snapshot's root. */
  snapRoots(): (Ref | null)[] {
    return [...this.snaps.values()].map((s) => s.root)
  }

  /** Every reader's pinned root. */
  readerRoots(): (Ref | null)[] {
    return [...this.readers.values()].map((r) => r.root)
  }

  /** Points every head and snapshot at `move(root)` (compaction's copies). */
  mapRoots(move: (r: Ref | null) => Ref | null): void {
    for (const h of this.heads.values()) h.root = move(h.root)
    for (const s of this.snaps.values()) s.root = move(s.root)
  }

  private recomputeRetained(): void {
    // With history on, every commit's root is kept (history entries are recorded at the flush,
    // after later commits of the group already ran): no page is cheap to free; gc finds them.
    let g = this.streams.historyAnywhere ? Number.MAX_SAFE_INTEGER : -1
    if (g < Number.MAX_SAFE_INTEGER) for (const s of this.snaps.values()) g = Math.max(g, s.kind === 'history' ? Number.MAX_SAFE_INTEGER : s.generation)
    if (g < Number.MAX_SAFE_INTEGER) for (const r of this.readers.values()) g = Math.max(g, r.generation)
    // The durable head is a root too until the next checkpoint replaces it.
    this.retained = g
  }
}

/** The head a call with these options writes to or reads from (TypeError if the name is bad). */
export function snapshotInfo(s: Snap): SnapshotInfo {
  const info: SnapshotInfo = { id: s.id, root: s.root ? s.root.id : 0, generation: s.generation, createdAt: s.createdAt, kind: s.kind, branch: s.branch }
  if (s.label !== undefined) info.label = s.label
  return info
}
