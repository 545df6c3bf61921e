// What one logged record does to the in-memory state: the same code runs live (after the
// writer has logged the record) and in recovery (replaying the WAL). A commit applies its ops
// to its head's tree; restore, undo and redo switch a head to another root; the rest changes the
// catalog. Each commit also leaves its footprint for transaction validation and, when someone
// listens, the events its subscribers will get once it is durable.

import { buildSorted, insert, lookup, remove, removeRange, walk, type StoredValue, type Tree } from './btree.js'
import { bytesKey } from './bytes.js'
import { sortedOrder } from './keysort.js'
import type { Catalog } from './catalog.js'
import { diffTrees, type RawChange } from './diff.js'
import type { Stamp } from './heads.js'
import { compareKeys } from './keys.js'
import type { Ref } from './node.js'
import type { EncodedOp } from './ops.js'
import { RecordType, type LogRecord } from './records.js'
import { toChange } from './stored.js'
import type { Deliveries, Subscriptions, Watch } from './subscriptions.js'
import type { Failpoints } from './failpoints.js'
import type { Change } from './types.js'
import type { CommitFootprint, CommitLog } from './tx.js'

/** A batch of puts this big into an empty tree is sorted and built bottom-up. */
const BUILD_BATCH = 256

/** A commit applied to its head: the root before and after, and its events for subscribers. */
export type Applied = { before: Ref | null; after: Ref | null; events: Deliveries }

export class Applier {
  /** Head root switches that took effect (commits, restores, undo/redo). */
  rootUpdates = 0
  /** Commits of ops that took effect. */
  commits = 0

  constructor(
    private readonly tree: Tree,
    private readonly catalog: Catalog,
    private readonly subs: Subscriptions,
    private readonly log: CommitLog,
    private readonly sameValue: (a: StoredValue, b: StoredValue) => boolean,
    private readonly failpoints?: Failpoints,
  ) {}

  /** A raw change decoded for a subscriber (at delivery). */
  private readonly toChange = (c: RawChange): Change => {
    this.failpoints?.hit('deliver')
    return toChange(this.tree.pager, c)
  }

  /** Applies a record read back from the WAL. */
  apply(r: LogRecord): void {
    const c = this.catalog
    switch (r.type) {
      case RecordType.Commit: {
        const generation = c.generation + 1
        c.recordHistory(r.stamp, generation, this.ops(r.stamp, r.ops))
        this.published([r.stamp.branch])
        return
      }
      case RecordType.Snapshot:
        return c.addSnapshot({ ...r.snap, root: null })
      case RecordType.DropSnapshot:
        return c.removeSnapshot(r.id)
      case RecordType.Restore:
        return this.restore(r.stamp, r.id)
      case RecordType.Move:
        return this.move(r.branch, r.id)
      case RecordType.Branch:
        return c.addBranch(r.name, r.from)
      case RecordType.DropBranch:
        return c.dropBranch(r.name)
      case RecordType.Retention:
        return c.setRetention(r.policy, r.branch)
      case RecordType.Tenant:
        return c.addTenant(r.name, r.start, r.from, r.retention)
      case RecordType.DropTenant:
        return c.dropTenant(r.name)
      case RecordType.Group:
        for (const sub of r.records) this.apply(sub)
        return
    }
  }

  /**
   * Applies a commit's ops to its head; returns the head's root before and after, and the
   * events it makes for subscribers (computed now, posted once the commit is durable).
   * Cost: O(ops log n) page loads, each touched page copied once per epoch.
   */
  ops(stamp: Stamp, ops: EncodedOp[]): Applied {
    const head = this.catalog.headOf(stamp.branch)
    const before = head.root
    const generation = this.catalog.nextGeneration()
    const created = this.tree.pager.counters.pagesCreated
    this.tree.head = stamp.branch
    const watch = this.subs.watch(stamp.branch, generation)
    const touched = watch ? this.valuesBefore(before, ops, watch) : undefined
    let root = head.root
    if (!root && ops.length >= BUILD_BATCH && ops.every((o) => o.type === 'put')) {
      root = this.buildFromBatch(ops as Extract<EncodedOp, { type: 'put' }>[])
    } else {
      // (key by key, in the batch's order: sorting a random batch first measured no faster into
      // a store of 1M keys, where each key touches its own leaf; npm run bench, "batches")
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i]!
        if (op.type === 'put') root = insert(this.tree, root, op.key, op.value)
        else if (op.type === 'delete') root = remove(this.tree, root, op.key)
        else root = removeRange(this.tree, root, op.range)
        this.failpoints?.hit('applyOps')
      }
    }
    head.root = root
    head.generation = generation
    head.pagesCreated = (head.pagesCreated ?? 0) + this.tree.pager.counters.pagesCreated - created
    // History keeps every commit's root: later commits must copy its pages, not edit them.
    if (stamp.history.length) this.tree.freeze()
    const footprint: CommitFootprint = { generation, branch: stamp.branch, keys: [], ranges: [] }
    // (indexed loops: for-of over a big batch allocated an iterator result per op)
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!
      if (op.type === 'deleteRange') footprint.ranges.push(op.range)
      else footprint.keys.push(op.key)
    }
    this.log.push(footprint)
    const events = watch && touched ? watch.events(this.catalog.commitInfo(stamp.branch), this.changesAfter(root, touched), this.toChange) : []
    return { before, after: root, events }
  }

  /** Commits of ops on these heads took effect (they are durable, or replayed): counted, per head too. */
  published(branches: string[]): void {
    this.rootUpdates += branches.length
    this.commits += branches.length
    for (const b of branches) this.countUpdate(b)
  }

  private countUpdate(branch: string): void {
    const head = this.catalog.hasHead(branch) ? this.catalog.headOf(branch) : undefined
    if (head) head.rootUpdates = (head.rootUpdates ?? 0) + 1
  }

  /**
   * The events a switch of `branch`'s head to root `to` (restore, undo, redo) will make: a diff of
   * the two roots, both immutable. Found before the switch is logged, so a page that cannot be
   * read fails the call while it can still leave no trace. Cost: O(changed pages) when someone
   * listens, else O(subscriptions).
   */
  switchEvents(branch: string, to: Ref | null): Deliveries {
    const generation = this.catalog.generation + 1
    const watch = this.subs.watch(branch, generation)
    if (!watch) return []
    const from = this.catalog.headOf(branch).root
    return watch.events({ generation, root: to ? to.id : 0 }, diffTrees(this.tree, from, to, this.sameValue), this.toChange)
  }

  /** Undo/redo: `branch`'s head moves to history entry `id`, as a new commit. O(1). */
  move(branch: string, id: string, events: Deliveries = []): void {
    const head = this.catalog.headOf(branch)
    const at = head.history.indexOf(id)
    if (at < 0) return // retention dropped it meanwhile (a replay with a later clock)
    this.catalog.switchHead(branch, this.catalog.snapFor(id).root, at)
    this.switched(branch)
    this.subs.post(events)
  }

  /** Restore: the stamp's head moves to snapshot `id`'s root, as a new commit. O(1). */
  restore(stamp: Stamp, id: string, events: Deliveries = []): void {
    const head = this.catalog.headOf(stamp.branch)
    const snap = this.catalog.snapFor(id)
    const before = this.catalog.switchHead(stamp.branch, snap.root, undefined, snap)
    this.switched(stamp.branch)
    this.catalog.recordHistory(stamp, this.catalog.generation, { before, after: head.root })
    this.subs.post(events)
  }

  /** After a head switch: counted, and logged as touching every key (transactions conflict). */
  private switched(branch: string): void {
    this.rootUpdates++
    this.countUpdate(branch)
    this.log.push({ generation: this.catalog.generation, branch, keys: [], ranges: [], all: true })
  }

  /**
   * The subscribed keys a commit's ops touch, with their values before it (read before any op
   * applies: a key no earlier op touched still has its old value, in place or not).
   */
  private valuesBefore(root: Ref | null, ops: EncodedOp[], watch: Watch): Map<string, RawChange> {
    const touched = new Map<string, RawChange>()
    const note = (key: Uint8Array, value: StoredValue | undefined) => {
      const id = bytesKey(key)
      if (!touched.has(id)) touched.set(id, value === undefined ? { key } : { key, before: value })
    }
    for (const op of ops) {
      this.failpoints?.hit('subscriberLookup')
      if (op.type !== 'deleteRange') {
        if (watch.wants(op.key)) note(op.key, lookup(this.tree, root, op.key))
      } else {
        walk(this.tree, root, op.range, false, (key, value) => {
          if (watch.wants(key)) note(key, value)
          return true
        })
      }
    }
    return touched
  }

  /** The touched keys' changes after the commit, in key order; keys whose value is the same drop out. */
  private changesAfter(root: Ref | null, touched: Map<string, RawChange>): RawChange[] {
    const out: RawChange[] = []
    for (const c of touched.values()) {
      const after = lookup(this.tree, root, c.key)
      if (after !== undefined) c.after = after
      if (c.before === undefined ? after !== undefined : after === undefined || !this.sameValue(c.before, after)) out.push(c)
    }
    return out.sort((a, b) => compareKeys(a.key, b.key))
  }

  /**
   * A big batch into an empty tree: sorted once over the encoded keys' bytes (keysort.ts: no
   * object per key), the last put of each key kept, then built bottom-up with leaves filled
   * straight from the sorted run. Cost: O(n log n) native compares for the sort, O(n) for the build.
   */
  private buildFromBatch(puts: Extract<EncodedOp, { type: 'put' }>[]): Ref | null {
    // pointers copied out in input order first, so the sorted pass reads two compact arrays
    const keys = puts.map((op) => op.key)
    const values = puts.map((op) => op.value)
    const order = sortedOrder(keys, true)
    const sortedKeys = new Array<Uint8Array>(order.length)
    const sortedValues = new Array<Uint8Array>(order.length)
    for (let i = 0; i < order.length; i++) {
      sortedKeys[i] = keys[order[i]!]!
      sortedValues[i] = values[order[i]!]!
    }
    return buildSorted(this.tree, sortedKeys, sortedValues)
  }

}
