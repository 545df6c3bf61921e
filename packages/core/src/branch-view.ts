// A handle on one branch: the Database API with `{ branch }` filled in on every call. Works over
// anything that takes `{ branch }` options (the engine, the browser client), so it is written once.
// The handle's branch wins over a `branch` in the caller's options.

import { SnapshotNotFoundError } from './errors.js'
import type { ChangeListener } from './subscriptions.js'
import type { BranchInfo, Change, Commit, Key, Op, Range, ReadOptions, ScanOptions, SnapshotId, SnapshotInfo, Transaction, Value } from './types.js'

/** What a branch handle needs from a database: every call that reads or moves a head. */
export interface BranchTarget {
  /** Cost: as Database.get. */
  get(key: Key, opts?: ReadOptions): Promise<Value | undefined>
  /** Cost: as Database.getMany. */
  getMany(keys: Key[], opts?: ReadOptions): Promise<(Value | undefined)[]>
  /** Cost: as Database.put. */
  put(key: Key, value: Value, opts?: { branch?: string }): Promise<Commit>
  /** Cost: as Database.delete. */
  delete(key: Key, opts?: { branch?: string }): Promise<Commit>
  /** Cost: as Database.batch. */
  batch(ops: Op[], opts?: { branch?: string }): Promise<Commit>
  /** Cost: as Database.deleteRange. */
  deleteRange(range: Range, opts?: { branch?: string }): Promise<Commit>
  /** Cost: as Database.scan. */
  scan(range?: Range & ScanOptions): Promise<[Key, Value][]>
  /** Cost: as Database.iterate. */
  iterate(range?: Range & ScanOptions): AsyncIterable<[Key, Value]>
  /** Cost: as Database.count. */
  count(range?: Range, opts?: ReadOptions): Promise<number>
  /** Cost: as Database.snapshot. */
  snapshot(opts?: { label?: string; branch?: string }): Promise<SnapshotInfo>
  /** Cost: as Database.restore. */
  restore(id: SnapshotId, opts?: { branch?: string }): Promise<Commit>
  /** Cost: as Database.diff. */
  diff(from: SnapshotId, to?: SnapshotId, opts?: { branch?: string; limit?: number }): Promise<Change[]>
  /** Cost: as Database.undo. */
  undo(opts?: { branch?: string }): Promise<Commit | null>
  /** Cost: as Database.redo. */
  redo(opts?: { branch?: string }): Promise<Commit | null>
  /** Cost: as Database.transaction. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>, opts?: { retries?: number; branch?: string }): Promise<T>
  /** Every head, for info(). Cost: as Database.branches. */
  branches(): Promise<BranchInfo[]>
  /** Cost: as Database.subscribe. */
  subscribe(range: Range & { branch?: string }, listener: ChangeListener): Promise<() => void>
}

export class BranchView {
  constructor(
    private readonly db: BranchTarget,
    readonly name: string,
  ) {}

  private get at() {
    return { branch: this.name }
  }

  /** The value of `key` at this head (or at `opts.snapshot`). Cost: as Database.get (with `{ branch }` filled in). */
  get(key: Key, opts: ReadOptions = {}) {
    return this.db.get(key, { ...opts, ...this.at })
  }
  /** Values of several keys at this head, from one consistent state. Cost: as Database.getMany. */
  getMany(keys: Key[], opts: ReadOptions = {}) {
    return this.db.getMany(keys, { ...opts, ...this.at })
  }
  /** Sets `key` to `value` at this head. Cost: as Database.put. */
  put(key: Key, value: Value) {
    return this.db.put(key, value, this.at)
  }
  /** Deletes `key` at this head. Cost: as Database.delete. */
  delete(key: Key) {
    return this.db.delete(key, this.at)
  }
  /** Applies all `ops` at this head atomically. Cost: as Database.batch. */
  batch(ops: Op[]) {
    return this.db.batch(ops, this.at)
  }
  /** Deletes every key in `range` at this head. Cost: as Database.deleteRange. */
  deleteRange(range: Range) {
    return this.db.deleteRange(range, this.at)
  }
  /** Entries in `range` at this head (or at `range.snapshot`). Cost: as Database.scan. */
  scan(range: Range & ScanOptions = {}) {
    return this.db.scan({ ...range, ...this.at })
  }
  /** Streams the entries in `range` at this head, from the state when iteration began. Cost: as Database.iterate. */
  iterate(range: Range & ScanOptions = {}) {
    return this.db.iterate({ ...range, ...this.at })
  }
  /** Number of keys in `range` at this head. Cost: as Database.count. */
  count(range: Range = {}, opts: ReadOptions = {}) {
    return this.db.count(range, { ...opts, ...this.at })
  }
  /** Records this head as a snapshot. Cost: as Database.snapshot, one WAL flush. */
  snapshot(opts: { label?: string } = {}) {
    return this.db.snapshot({ ...opts, ...this.at })
  }
  /** Makes a snapshot's state this head again, as a new commit. Cost: as Database.restore. */
  restore(id: SnapshotId) {
    return this.db.restore(id, this.at)
  }
  /** Changes from snapshot `from` to snapshot `to`, or to this head (the first `limit` of them). Cost: as Database.diff. */
  diff(from: SnapshotId, to?: SnapshotId, opts?: { limit?: number }) {
    return this.db.diff(from, to, { ...opts, ...this.at })
  }
  /** Moves this head back one commit in its history (null: nothing to undo). Cost: as Database.undo. */
  undo() {
    return this.db.undo(this.at)
  }
  /** Moves this head forward again after undo() (null: nothing to redo). Cost: as Database.redo. */
  redo() {
    return this.db.redo(this.at)
  }
  /** Runs `fn` as an optimistic transaction on this head. Cost: as Database.transaction. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>, opts: { retries?: number } = {}) {
    return this.db.transaction(fn, { ...opts, ...this.at })
  }
  /** Calls `listener` with each durable commit's changes to keys in `range` on this head. Cost: as Database.subscribe. */
  subscribe(range: Range, listener: ChangeListener) {
    return this.db.subscribe({ ...range, ...this.at }, listener)
  }
  /** This branch's name, root, history length and how far it can undo and redo. Cost: as Database.branches, O(heads). */
  async info(): Promise<BranchInfo> {
    const info = (await this.db.branches()).find((b) => b.name === this.name)
    if (!info) throw new SnapshotNotFoundError(`cowdb: no branch ${JSON.stringify(this.name)}`)
    return info
  }
}
