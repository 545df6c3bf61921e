// The writers' line and the durability point. Writers run one at a time in call order
// (`inTurn`). A commit is one pipeline, in the spirit of bbolt's Tx.Commit:
//
//   validate -> encode -> apply (to the in-memory tree) -> log (WAL append) -> flush -> publish
//
// The flush is the durability point, shared by the commits of one tick (group commit). Before
// it, a failure leaves no trace: a commit whose apply fails is taken out and the commits before
// it in the group are applied again from their ops (they may share pages changed in place); a
// failed flush rolls every waiting commit back and cuts the log file back to its durable end,
// so recovery cannot replay a rejected record (if even that fails, writes stop with an error
// that says so). After it nothing undoes a resolved write: a failed checkpoint is retried with
// backoff, counted and surfaced, and subscriber events that cannot be read are reported.
// A large commit skips the WAL and becomes durable by a checkpoint (the Meta save) instead.

import type { Tree } from './btree.js'
import { snapshotInfo, type Catalog, type Snap } from './catalog.js'
import type { Checkpointer } from './checkpoint.js'
import type { Applied, Applier } from './commit.js'
import { IOError, assert, isStopped, stoppedWrites } from './errors.js'
import type { Stamp } from './heads.js'
import { Histogram, LATENCY_BUCKETS, now } from './metrics.js'
import type { Ref } from './node.js'
import type { EncodedOp } from './ops.js'
import { RecordType, encodeRecord, type LogRecord } from './records.js'
import type { Subscriptions } from './subscriptions.js'
import type { CommitLog } from './tx.js'
import type { Commit, SnapshotInfo } from './types.js'
import { DurableFeed } from './durable.js'
import type { Wal } from './wal.js'

/** A gc's marking, as writers see it: checkpoints wait for it, and commits can assist it (space.ts). */
export interface MarkingGate {
  readonly marking: Promise<void> | null
  assist(walFull: boolean): void
  /** Whether the store's size calls for a checkpoint before the WAL reaches walCheckpointBytes (space.ts). */
  checkpointDue(): boolean
}

export type WriterOptions = {
  /** WAL bytes that trigger a checkpoint. */
  walCheckpointBytes: number
  /** Delay after the last commit before a background checkpoint; 0: none. */
  checkpointDelayMs: number
  /** Commits with more key+value bytes than this commit by checkpoint. */
  largeCommitBytes: number
  /** The longest a relaxed commit waits for its flush. */
  relaxedFlushMs: number
  /** Bytes the WAL file may keep after a checkpoint, as given at open (unset: pacing.ts derives it). */
  walSizeLimit: number | undefined
}

type TurnOptions = { flushFirst?: boolean; front?: boolean; checkpoint?: boolean }
/** What a commit resolves with: with `snapshot` asked, the snapshot taken atomically with it. */
export type CommitResult = Commit & { snapshot?: SnapshotInfo }
type Waiter = { resolve: (c: CommitResult) => void; reject: (e: unknown) => void; commit: Commit; started: number; stamp: Stamp; ops: EncodedOp[]; snap?: Snap; body: Uint8Array; roots: Applied; relaxed: boolean }

/** Failed background checkpoints in a row before the `error` event. */
const FAILURES_BEFORE_ERROR = 5
/** Longest wait between retries of a failed background checkpoint. */
const MAX_RETRY_MS = 30_000
/** While checkpoints fail, writes stop once the WAL holds this many times its threshold. */
const WAL_HARD_LIMIT = 8

export class Writer {
  /** Set once by the Database: the gc whose marking checkpoints wait for. */
  gate: MarkingGate = { marking: null, assist: () => {}, checkpointDue: () => false }
  readonly commitLatency = new Histogram(LATENCY_BUCKETS)
  /** Writers that arrived during a checkpoint, in call order (see inTurn). */
  private turns: (() => void)[] = []
  private waiters: Waiter[] = []
  private flushQueued = false
  private relaxedTimer: ReturnType<typeof setTimeout> | undefined
  /** Relaxed commits that resolved and were then lost to a failed flush. */
  relaxedLost = 0
  /** Heads and generation as of the last WAL flush (what a failed flush rolls back to). */
  private flushed: { roots: Map<string, Ref | null>; generation: number }
  private checkpointing: Promise<void> | null = null
  private checkpointTimer: ReturnType<typeof setTimeout> | undefined
  /** Set when writes can no longer be made safely (see fail()): every later write rejects with it. */
  private failure: Error | undefined
  /** Background checkpoints failed in a row, and the last error. */
  private failedCheckpoints = 0
  private checkpointError: Error | undefined
  /** Background failures (checkpoints), counted for metrics. */
  backgroundErrors = 0
  /** Hook: writes stopped (fatal), or background checkpoints keep failing. The Database dispatches `error`. */
  onError: (e: Error) => void = () => {}
  /** Hook: a record logged on its own (a snapshot, a branch, a head move, retention) took effect. */
  onLogged: (r: LogRecord) => void = () => {}
  /** The durability points and the durable state, for readers outside the engine (durable.ts). */
  readonly durable: DurableFeed

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
    this.durable = new DurableFeed(tree, catalog, () => this.flushed)
  }

  /**
   * Commits encoded `ops` to `branch` in the writers' line; `validate` runs in its turn, before
   * anything changes. With `snapshot`, a named snapshot of the result is taken in the same
   * record: both take effect, or neither. Resolves once durable.
   * Cost: O(ops log n) + one shared WAL flush.
   */
  commit(branch: string, ops: EncodedOp[], validate?: () => void, snapshot?: { label?: string }, relaxed = false): Promise<CommitResult> {
    if (opsBytes(ops) >= this.opts.largeCommitBytes) {
      return this.inTurn(() => this.commitByCheckpoint(branch, ops, validate, snapshot), { flushFirst: true, checkpoint: true })
    }
    return this.inTurn(async () => {
      this.writable()
      this.catalog.headOf(branch)
      validate?.()
      const started = now()
      const stamp = this.catalog.stampFor(branch)
      const roots = this.apply(stamp, ops)
      const snap = snapshot ? this.snapshotNow(snapshot.label, branch) : undefined
      const body = encodeRecord(commitRecord(stamp, ops, snap))
      this.wal.append(snap ? RecordType.Group : RecordType.Commit, body)
      const commit = this.catalog.commitInfo(branch)
      return new Promise<CommitResult>((resolve, reject) => {
        if (relaxed) {
          // resolved now; the flush follows within relaxedFlushMs (a failure is reported, see flushNow)
          resolve(snap ? { ...commit, snapshot: snapshotInfo(snap) } : commit)
          this.waiters.push({ resolve: () => {}, reject: () => this.relaxedLost++, commit, started, stamp, ops, snap, body, roots, relaxed })
        } else this.waiters.push({ resolve, reject, commit, started, stamp, ops, snap, body, roots, relaxed })
        this.scheduleFlush(relaxed)
      })
    })
  }

  /** A snapshot of `branch`'s head as it is now, to add once durable (its pages stop being edited in place). */
  private snapshotNow(label: string | undefined, branch: string): Snap {
    this.tree.freeze()
    return this.catalog.newSnapshot(label, branch)
  }

  /** Throws if writes cannot go on: the database closed, or writes stopped after a failure. */
  writable(): void {
    this.check()
    if (this.failure) throw this.failure
    if (this.checkpointError && this.wal.offset >= this.opts.walCheckpointBytes * WAL_HARD_LIMIT) throw this.checkpointError
  }

  /**
   * Applies a commit's ops. If that fails (a damaged page, a failed read), the commit leaves no
   * trace: the heads go back to the last flush and the commits waiting for the next flush are
   * applied again from their ops, since the failed apply may have changed pages they share.
   */
  private apply(stamp: Stamp, ops: EncodedOp[]): Applied {
    try {
      return this.applier.ops(stamp, ops)
    } catch (e) {
      this.rollBackUnflushed()
      this.reapplyWaiters()
      throw e
    }
  }

  /** Heads, generation, free-slot ledger and commit log as of the last flush. */
  private rollBackUnflushed(): void {
    this.catalog.setRoots(this.flushed.roots)
    this.catalog.rollbackGeneration(this.flushed.generation)
    this.checkpointer.rollbackToFlushed()
    this.log.dropAfter(this.catalog.generation)
    this.tree.freeze()
  }

  /** After a rollback: the waiting commits again, in order; one that fails now is rejected and its record dropped. */
  private reapplyWaiters(): void {
    const kept: Waiter[] = []
    this.catalog.clearStamps()
    for (const w of this.waiters) {
      try {
        w.roots = this.applier.ops(w.stamp, w.ops)
        w.commit = this.catalog.commitInfo(w.stamp.branch)
        if (w.snap) w.snap = { ...this.snapshotNow(w.snap.label, w.stamp.branch), id: w.snap.id, createdAt: w.snap.createdAt }
        this.catalog.markStamped(w.stamp.branch)
        kept.push(w)
      } catch (e) {
        w.reject(e)
      }
    }
    if (kept.length === this.waiters.length) return
    this.waiters = kept
    this.wal.discard()
    for (const w of kept) {
      w.body = encodeRecord(commitRecord(w.stamp, w.ops, w.snap))
      this.wal.append(w.snap ? RecordType.Group : RecordType.Commit, w.body)
    }
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
  private async commitByCheckpoint(branch: string, ops: EncodedOp[], validate?: () => void, snapshot?: { label?: string }): Promise<CommitResult> {
    this.writable()
    this.catalog.headOf(branch)
    validate?.()
    const started = now()
    assert(!this.checkpointing && !this.waiters.length, 'a large commit runs alone')
    const before = { catalog: this.catalog.capture(branch), ledger: this.checkpointer.mark(), log: this.log.length }
    const stamp = this.catalog.stampFor(branch)
    const roots = this.apply(stamp, ops)
    this.catalog.recordHistory(stamp, this.catalog.generation, roots) // in the Meta this checkpoint saves
    const snap = snapshot ? this.catalog.newSnapshot(snapshot.label, branch) : undefined
    if (snap) this.catalog.insertSnapshot(snap) // so is this
    const commit: CommitResult = snap ? { ...this.catalog.commitInfo(branch), snapshot: snapshotInfo(snap) } : this.catalog.commitInfo(branch)
    this.tree.freeze()
    this.checkpointer.markChanged()
    await this.checkpoint((error) => {
      if (error === undefined) {
        this.markFlushed()
        this.applier.published([branch])
        this.subs.post(roots.events)
        return
      }
      this.catalog.rollback(before.catalog)
      this.checkpointer.truncateTo(before.ledger)
      this.log.truncate(before.log)
      this.tree.freeze()
    })
    this.commitLatency.observe((now() - started) / 1000)
    return commit
  }

  /** A strict commit is flushed at the end of this tick, with every commit made in it; relaxed ones within relaxedFlushMs. */
  private scheduleFlush(relaxed: boolean): void {
    if (this.flushQueued) return
    if (!relaxed) {
      this.flushQueued = true
      queueMicrotask(() => this.flushNow())
    } else if (this.relaxedTimer === undefined) {
      this.relaxedTimer = setTimeout(() => this.flushNow(), this.opts.relaxedFlushMs)
      ;(this.relaxedTimer as { unref?: () => void }).unref?.()
    }
  }

  /** Flushes the WAL for every waiting commit (group commit), or rolls them all back. */
  flushNow(): void {
    this.flushQueued = false
    clearTimeout(this.relaxedTimer)
    this.relaxedTimer = undefined
    this.catalog.clearStamps()
    const waiters = this.waiters
    if (!waiters.length) return
    this.waiters = []
    try {
      this.wal.flush()
    } catch (e) {
      const error = this.flushFailed(e)
      this.rollBackUnflushed()
      for (const w of waiters) w.reject(error)
      const lost = waiters.filter((w) => w.relaxed).length
      if (lost) this.onError(new IOError(`cowdb: a WAL flush failed and ${lost} relaxed write(s) that had resolved were rolled back (${String((e as Error).message ?? e)})`, { cause: e }))
      if (!this.checkpointing && !this.failure) this.backgroundCheckpoint()
      return
    }
    // The flushed state must stay intact (a later failed flush rolls back to it).
    this.tree.freeze()
    this.markFlushed()
    this.applier.published(waiters.map((w) => w.stamp.branch))
    const t = now()
    for (const w of waiters) {
      this.catalog.recordHistory(w.stamp, w.commit.generation, w.roots)
      if (w.snap) this.catalog.insertSnapshot(w.snap)
      this.commitLatency.observe((t - w.started) / 1000)
      w.resolve(w.snap ? { ...w.commit, snapshot: snapshotInfo(w.snap) } : w.commit)
      this.subs.post(w.roots.events)
    }
    this.afterFlush()
  }

  private afterFlush(): void {
    const due = this.wal.offset >= this.opts.walCheckpointBytes || this.gate.checkpointDue()
    this.gate.assist(due)
    if (due && !this.checkpointError) {
      this.backgroundCheckpoint()
      return
    }
    if (this.opts.checkpointDelayMs > 0 && this.checkpointTimer === undefined && !this.checkpointError) this.checkpointLater(this.opts.checkpointDelayMs)
  }

  private checkpointLater(ms: number): void {
    this.checkpointTimer = setTimeout(() => {
      this.checkpointTimer = undefined
      if (!this.isClosed()) this.backgroundCheckpoint()
    }, ms)
    ;(this.checkpointTimer as { unref?: () => void }).unref?.()
  }

  /**
   * A checkpoint nobody waits for. A failure is never swallowed: it is counted, retried with
   * backoff (100 ms doubling to 30 s), and after FAILURES_BEFORE_ERROR in a row surfaced as the
   * `error` event; while it lasts, writes go on into the WAL up to WAL_HARD_LIMIT times its
   * threshold, then reject with the checkpoint's error. A success ends the streak.
   */
  private backgroundCheckpoint(): void {
    this.checkpoint().then(
      () => {
        this.failedCheckpoints = 0
        this.checkpointError = undefined
      },
      (e: unknown) => {
        if (this.isClosed() || this.failure) return
        this.backgroundErrors++
        this.failedCheckpoints++
        this.checkpointError = e instanceof Error ? e : new IOError(String(e))
        if (this.failedCheckpoints === FAILURES_BEFORE_ERROR) this.onError(this.checkpointError)
        clearTimeout(this.checkpointTimer)
        this.checkpointLater(Math.min(MAX_RETRY_MS, 100 * 2 ** (this.failedCheckpoints - 1)))
      },
    )
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
    this.writable()
    this.wal.append(record.type, encodeRecord(record))
    try {
      this.wal.flush()
    } catch (e) {
      throw this.flushFailed(e)
    }
    apply()
    this.markFlushed()
    this.afterFlush()
    this.onLogged(record)
  }

  /**
   * After a failed WAL flush: the records may have reached the file in part or whole. Cut the
   * file back to its durable end, so that recovery can never replay them, and start a new log
   * cycle at the next checkpoint (new salt) as a second guard. If the file cannot be cut back,
   * a restart might replay them: writes stop, and the error says the outcome is unknown.
   * Returns the error to reject the waiting calls with.
   */
  private flushFailed(e: unknown): unknown {
    this.wal.discard()
    this.checkpointer.markChanged()
    try {
      this.wal.cutBack()
      return e
    } catch (cut) {
      return this.fail(stoppedWrites(e, `the log could not be cut back after a failed flush (${String((cut as Error).message ?? cut)}), so the writes of this flush may or may not take effect at the next open`))
    }
  }

  /** Writes stop for good (until the database is reopened): `e` is what every later write gets. */
  fail(e: Error): Error {
    this.failure ??= e
    this.onError(this.failure)
    return this.failure
  }

  /** The state now is what a later failed flush rolls back to. */
  markFlushed(): void {
    this.flushed = { roots: this.catalog.roots(), generation: this.catalog.generation }
    this.checkpointer.markFlushed()
    this.durable.passed()
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
        if (isStopped(e)) this.fail(e as Error)
        end(e)
        throw e
      },
    )
    this.checkpointing = run
    return run
  }

  /** Whether a checkpoint runs now. */
  get checkpointRunning(): boolean {
    return this.checkpointing !== null
  }

  /** Resolves once no checkpoint runs. Not in line with writers: only gc and compact, whose order is free, use it. */
  async checkpointIdle(): Promise<void> {
    while (this.checkpointing) await this.checkpointing.catch(() => {})
  }

  stopTimers(): void {
    clearTimeout(this.checkpointTimer)
    clearTimeout(this.relaxedTimer)
  }
}

/** The record of a commit, grouped with the snapshot taken with it. */
function commitRecord(stamp: Stamp, ops: EncodedOp[], snap: Snap | undefined): LogRecord {
  const commit: LogRecord = { type: RecordType.Commit, stamp, ops }
  return snap ? { type: RecordType.Group, records: [commit, { type: RecordType.Snapshot, snap }] } : commit
}

function opsBytes(ops: EncodedOp[]): number {
  let n = 0
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!
    n += op.type === 'put' ? op.key.length + op.value.length : 16
  }
  return n
}
