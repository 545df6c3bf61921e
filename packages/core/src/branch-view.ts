// A handle on one branch: the Database API with `{ branch }` filled in on every call. Works over
// anything that takes `{ branch }` options (the engine, the browser client), so it is written once.
// The handle's branch wins over a `branch` in the caller's options.

import { SnapshotNotFoundError } from './errors.js'
import type { ChangeListener } from './subscriptions.js'
import type { BranchInfo, Change, Commit, Key, Op, Range, ReadOptions, ScanOptions, SnapshotId, SnapshotInfo, Transaction, Value } from './types.js'

/** What a branch handle needs from a database: every call that reads or moves a head. */
export interface BranchTarget {
  get(key: Key, opts?: ReadOptions): Promise<Value | undefined>
  getMany(keys: Key[], opts?: ReadOptions): Promise<(Value | undefined)[]>
  put(key: Key, value: Value, opts?: { branch?: string }): Promise<Commit>
  delete(key: Key, opts?: { branch?: string }): Promise<Commit>
  batch(ops: Op[], opts?: { branch?: string }): Promise<Commit>
  deleteRange(range: Range, opts?: { branch?: string }): Promise<Commit>
  scan(range?: Range & ScanOptions): Promise<[Key, Value][]>
  iterate(range?: Range & ScanOptions): AsyncIterable<[Key, Value]>
  count(range?: Range, opts?: ReadOptions): Promise<number>
  snapshot(opts?: { label?: string; branch?: string }): Promise<SnapshotInfo>
  restore(id: SnapshotId, opts?: { branch?: string }): Promise<Commit>
  diff(from: SnapshotId, to?: SnapshotId, opts?: { branch?: string }): Promise<Change[]>
  undo(opts?: { branch?: string }): Promise<Commit | null>
  redo(opts?: { branch?: string }): Promise<Commit | null>
  transaction<T>(fn: (tx: Transaction) => Promise<T>, opts?: { retries?: number; branch?: string }): Promise<T>
  branches(): Promise<BranchInfo[]>
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

  get(key: Key, opts: ReadOptions = {}) {
    return this.db.get(key, { ...opts, ...this.at })
  }
  getMany(keys: Key[], opts: ReadOptions = {}) {
    return this.db.getMany(keys, { ...opts, ...this.at })
  }
  put(key: Key, value: Value) {
    return this.db.put(key, value, this.at)
  }
  delete(key: Key) {
    return this.db.delete(key, this.at)
  }
  batch(ops: Op[]) {
    return this.db.batch(ops, this.at)
  }
  deleteRange(range: Range) {
    return this.db.deleteRange(range, this.at)
  }
  scan(range: Range & ScanOptions = {}) {
    return this.db.scan({ ...range, ...this.at })
  }
  iterate(range: Range & ScanOptions = {}) {
    return this.db.iterate({ ...range, ...this.at })
  }
  count(range: Range = {}, opts: ReadOptions = {}) {
    return this.db.count(range, { ...opts, ...this.at })
  }
  snapshot(opts: { label?: string } = {}) {
    return this.db.snapshot({ ...opts, ...this.at })
  }
  restore(id: SnapshotId) {
    return this.db.restore(id, this.at)
  }
  /** Changes from snapshot `from` to snapshot `to`, or to this branch's head. */
  diff(from: SnapshotId, to?: SnapshotId) {
    return this.db.diff(from, to, this.at)
  }
  undo() {
    return this.db.undo(this.at)
  }
  redo() {
    return this.db.redo(this.at)
  }
  transaction<T>(fn: (tx: Transaction) => Promise<T>, opts: { retries?: number } = {}) {
    return this.db.transaction(fn, { ...opts, ...this.at })
  }
  /** Each durable commit's changes to keys in `range` on this branch (see Database.subscribe). */
  subscribe(range: Range, listener: ChangeListener) {
    return this.db.subscribe({ ...range, ...this.at }, listener)
  }
  /** This branch's name, root, history length and how far it can undo and redo. */
  async info(): Promise<BranchInfo> {
    const info = (await this.db.branches()).find((b) => b.name === this.name)
    if (!info) throw new SnapshotNotFoundError(`cowdb: no branch ${JSON.stringify(this.name)}`)
    return info
  }
}
