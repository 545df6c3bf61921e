// The writers' line and the durability point. Writers run one at a time in call order
// (`inTurn`); a commit applies its ops, appends its WAL record, and waits for the flush that
// covers it: commits made in the same tick share one flush (group commit). The flush is the
// durability point: after it the commits resolve and their events go out; if it fails, the
// heads roll back to the last flushed state and every waiting commit rejects. A large commit
// skips the WAL and becomes durable by a checkpoint instead. Checkpoints start here too, since
// writers must wait for them.

import type { Tree } from './btree.js'
import type { Catalog } from './catalog.js'
import type { Checkpointer } from './checkpoint.js'
import type { Applied, Applier } from './commit.js'
import { assert } from './errors.js'
import type { Stamp } from './heads.js'
import { Histogram, LATENCY_BUCKETS, now } from './metrics.js'
import type { Ref } from './node.js'
import type { EncodedOp } from './ops.js'
import { RecordType, encodeRecord, type LogRecord } from './records.js'
import type { Subscriptions } from './subscriptions.js'
import type { CommitLog } from './tx.js'
import type { Commit } from './types.js'
import type { Wal } from './wal.js'

/** A gc's marking, as writers see it: checkpoints wait for it, and commits can assist it (space.ts). */
export interface MarkingGate {
  readonly marking: Promise<void> | null
  assist(walFull: boolean): void
}

export type WriterOptions = {
  /** WAL bytes that trigger a checkpoint. */
  walCheckpointBytes: number
  /** Delay after the last commit before a background checkpoint; 0: none. */
  checkpointDelayMs: number
  /** Commits with more key+value bytes than this commit by checkpoint. */
  largeCommitBytes: number
}

type TurnOptions = { flushFirst?: boolean; front?: boolean; checkpoint?: boolean }
type Waiter = { resolve: (c: Commit) => void; reject: (e: unknown) => void; commit: Commit; started: number; stamp: Stamp; roots: Applied }

export class Writer {
  /** Set once by the Database: the gc whose marking checkpoints wait for. */
  gate: MarkingGate = { marking: null, assist: () => {} }
  readonly commitLatency = new Histogram(LATENCY_BUCKETS)
  /** Writers that arrived during a checkpoint, in call order (see inTurn). */
  private turns: (() => void)[] = []
  private waiters: Waiter[] = []
  private flushQueued = false
  /** Heads and generation as of the last WAL flush (what a failed flush rolls back to). */
  private flushed: { roots: Map<string, Ref | null>; generation: number }
  private checkpointing: Promise<void> | null = null
  private checkpointTimer: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly tree: Tree,
    private readonly wal: Wal,
    private readonly catalog: Catalog,
    private readonly applier: Applier,
    private readonly checkpointer: Checkpointer,
    private readonly subs: Subscriptions,
    private readonly log: CommitLog,
    private readonly opts: WriterOptions,
    /** Throws ClosedError once the database is closed. */
    private readonly check: () => void,
    private readonly isClosed: () => boolean,
  ) {
    this.flushed = { roots: catalog.roots(), generation: catalog.generation }
  }

  /**
   * Commits encoded `ops` to `branch` in the writers' line; `validate` runs in its turn, before
   * anything changes. Resolves once durable. Cost: O(ops log n) + one shared WAL flush.
   */
  commit(branch: string, ops: EncodedOp[], validate?: () => void): Promise<Commit> {
    if (opsBytes(ops) >= this.opts.largeCommitBytes) {
      return this.inTurn(() => this.commitByCheckpoint(branch, ops, validate), { flushFirst: true, checkpoint: true })
    }
    return this.inTurn(async () => {
      this.check()
      this.catalog.headOf(branch)
      validate?.()
      const started = now()
      const stamp = this.catalog.stampFor(branch)
      const body = encodeRecord({ type: RecordType.Commit, stamp, ops })
      const roots = this.applier.ops(stamp, ops)
      this.wal.append(RecordType.Commit, body)
      const commit = this.catalog.commitInfo(branch)
      return new Promise<Commit>((resolve, reject) => {
        this.waiters.push({ resolve, reject, commit, started, stamp, roots })
        this.scheduleFlush()
      })
    })
  }

  /**
   * Runs `fn` now if no checkpoint runs and no writer waits, else after them: writers apply in
   * call order, whatever the microtask timing. `fn` runs synchronously up to its first await, so
   * nothing can come between its checks and its writes. With `flushFirst`, the WAL is flushed
   * before `fn`; if that started a checkpoint, `fn` waits for it at the head of the line.
   */
  inTurn<T>(fn: () => Promise<T>, opts: TurnOptions = {}): Promise<T> {
    if (!this.checkpointing && !(opts.checkpoint && this.gate.marking) && (opts.front || !this.turns.length)) {
      if (!opts.flushFirst) return fn()
      this.flushNow()
      if (!this.checkpointing) return fn()
      opts = { ...opts, front: true }
    }
    return new Promise<T>((resolve, reject) => {
      const run = (): void => void this.inTurn(fn, { ...opts, front: true }).then(resolve, reject)
      if (opts.front) this.turns.unshift(run)
      else this.turns.push(run)
    })
  }

  /** Lets waiting writers go, oldest first, until one of them starts a checkpoint. */
  runTurns(): void {
    if (this.gate.marking) return // the marking's end lets them go
    while (!this.checkpointing && this.turns.length) this.turns.shift()!()
  }

  /**
   * A large commit skips the WAL: its pages are written to free slots and the Meta switch is
   * its durability point, so its data is written once instead of twice. Earlier commits go
   * through the WAL first; if the checkpoint fails, the head rolls back and the commit rejects.
   */
  private async commitByCheckpoint(branch: string, ops: EncodedOp[], validate?: () => void): Promise<Commit> {
    this.check()
    this.catalog.headOf(branch)
    validate?.()
    const started = now()
    assert(!this.checkpointing && !this.waiters.length, 'a large commit runs alone')
    const before = { catalog: this.catalog.capture(branch), pendingFree: this.checkpointer.pendingCount, log: this.log.length }
    const stamp = this.catalog.stampFor(branch)
    const roots = this.applier.ops(stamp, ops)
    this.catalog.recordHistory(stamp, this.catalog.generation, roots) // in the Meta this checkpoint saves
    const commit = this.catalog.commitInfo(branch)
    this.tree.freeze()
    this.checkpointer.markChanged()
    await this.checkpoint((error) => {
      if (error === undefined) {
        this.markFlushed()
        this.subs.post(roots.events)
        return
      }
      this.catalog.rollback(before.catalog)
      this.checkpointer.truncatePending(before.pendingFree)
      this.log.truncate(before.log)
      this.tree.freeze()
    })
    this.commitLatency.observe((now() - started) / 1000)
    return commit
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return
    this.flushQueued = true
    queueMicrotask(() => this.flushNow())
  }

  /** Flushes the WAL for every waiting commit (group commit), or rolls them all back. */
  flushNow(): void {
    this.flushQueued = false
    this.catalog.clearStamps()
    const waiters = this.waiters
    if (!waiters.length) return
    this.waiters = []
    try {
      this.wal.flush()
    } catch (e) {
      this.wal.discard()
      this.catalog.setRoots(this.flushed.roots)
      this.catalog.rollbackGeneration(this.flushed.generation)
      this.checkpointer.rollbackToFlushed()
      this.log.dropAfter(this.catalog.generation)
      this.tree.freeze()
      for (const w of waiters) w.reject(e)
      // The rejected records may have reached the file: start a new log cycle (new salt) so
      // that a restart can never replay them.
      this.checkpointer.markChanged()
      if (!this.checkpointing) void this.checkpoint().catch(() => {})
      return
    }
    // The flushed state must stay intact (a later failed flush rolls back to it).
    this.tree.freeze()
    this.markFlushed()
    const t = now()
    for (const w of waiters) {
      this.catalog.recordHistory(w.stamp, w.commit.generation, w.roots)
      this.commitLatency.observe((t - w.started) / 1000)
      w.resolve(w.commit)
      this.subs.post(w.roots.events)
    }
    this.afterFlush()
  }

  private afterFlush(): void {
    this.gate.assist(this.wal.offset >= this.opts.walCheckpointBytes)
    if (this.wal.offset >= this.opts.walCheckpointBytes) {
      void this.checkpoint().catch(() => {})
      return
    }
    if (this.opts.checkpointDelayMs > 0 && this.checkpointTimer === undefined) {
      this.checkpointTimer = setTimeout(() => {
        this.checkpointTimer = undefined
        if (!this.isClosed()) void this.checkpoint().catch(() => {})
      }, this.opts.checkpointDelayMs)
      ;(this.checkpointTimer as { unref?: () => void }).unref?.()
    }
  }

  /**
   * A change recorded by one WAL record, in the writers' line: `validate` runs now (a bad call
   * fails before it waits) and again in its turn (another writer may have changed things since);
   * `change` then logs it with durablyLog. Earlier commits are flushed first.
   */
  logged<T>(validate: () => void, change: () => T): Promise<T> {
    this.check()
    validate()
    return this.inTurn(async () => {
      this.check()
      validate()
      return change()
    }, { flushFirst: true })
  }

  /** Appends one record and flushes it at once; applies `apply` only if the flush succeeds. */
  durablyLog(record: LogRecord, apply: () => void): void {
    this.wal.append(record.type, encodeRecord(record))
    try {
      this.wal.flush()
    } catch (e) {
      this.wal.discard()
      this.checkpointer.markChanged() // as in flushNow: the next checkpoint starts a new log cycle
      throw e
    }
    apply()
    this.markFlushed()
    this.afterFlush()
  }

  /** The state now is what a later failed flush rolls back to. */
  markFlushed(): void {
    this.flushed = { roots: this.catalog.roots(), generation: this.catalog.generation }
    this.checkpointer.markFlushed()
  }

  /** The heads as of the last flush (live roots for gc until the next checkpoint). */
  flushedRoots(): (Ref | null)[] {
    return [...this.flushed.roots.values()]
  }

  /** Points the flushed heads at `move(root)` (compaction's copies). */
  mapFlushedRoots(move: (r: Ref | null) => Ref | null): void {
    this.flushed = { ...this.flushed, roots: new Map([...this.flushed.roots].map(([name, root]) => [name, move(root)])) }
  }

  // ---- checkpoints ----------------------------------------------------------------------------

  /**
   * Starts a checkpoint unless one runs. `settled` runs when it ends, before any waiting writer
   * goes: a writer that rides on the checkpoint must update or roll back the head first.
   */
  checkpoint(settled?: (error: unknown) => void): Promise<void> {
    if (this.checkpointing) return this.checkpointing
    if (this.gate.marking) return this.gate.marking.then(() => this.checkpoint(settled))
    this.flushNow()
    // flushing may itself have started one (WAL over its threshold)
    if (this.checkpointing) return this.checkpointing
    if (!this.checkpointer.needed) {
      settled?.(undefined)
      return Promise.resolve()
    }
    const end = (error: unknown): void => {
      this.checkpointing = null
      settled?.(error)
      this.runTurns()
    }
    const run = this.checkpointer.run().then(
      () => end(undefined),
      (e: unknown) => {
        end(e)
        throw e
      },
    )
    this.checkpointing = run
    return run
  }

  /** Resolves once no checkpoint runs. Not in line with writers: only gc and compact, whose order is free, use it. */
  async checkpointIdle(): Promise<void> {
    while (this.checkpointing) await this.checkpointing.catch(() => {})
  }

  stopTimers(): void {
    clearTimeout(this.checkpointTimer)
  }
}

function opsBytes(ops: EncodedOp[]): number {
  let n = 0
  for (const op of ops) n += op.type === 'put' ? op.key.length + op.value.length : 16
  return n
}
