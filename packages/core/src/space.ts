// Which slots of the pages file are free, and when. Three ways a page becomes free:
// - the cheap path: a commit copies a page away, and no retained root (snapshot, history entry,
//   reader) is as new as the page: it is free after the next checkpoint (Checkpointer's ledger);
// - gc: marks what every live root reaches, in steps that let writers commit between them, and
//   frees every other slot; it runs in the background, paced by the pages written since the
//   last one, and after snapshots or branches are dropped;
// - compaction: copies live pages from the end of the file to free slots below, so that the
//   tail can be cut and given back.
// It also answers the audit (`space()`): where every slot is, and whether any leaked.

import type { Tree } from './btree.js'
import type { Catalog } from './catalog.js'
import type { Checkpointer, PendingDead } from './checkpoint.js'
import { Relocator } from './compact.js'
import { Marker, markReachable, unmarked } from './gc.js'
import { BACKGROUND_BUCKETS, Histogram, now } from './metrics.js'
import type { Node, Ref } from './node.js'
import type { Pager } from './pager.js'
import type { GcStats } from './types.js'
import type { Wal } from './wal.js'
import type { MarkingGate, Writer } from './writer.js'

/** Pages written since the last gc before a background gc is worth a walk (at least). */
const GC_MIN_WRITTEN = 64
const COMPACT_PASSES = 4
/** Pages a gc marks between yields: a few ms of work (measured ~7 ms at 1M keys), so writers never wait long. */
const GC_STEP_PAGES = 256
/** How long a marking step may wait for its timer before a commit runs it instead. */
const GC_ASSIST_AFTER_MS = 4

export type SpaceReport = { slots: number; reachable: number; free: number; pending: number; leaked: number; reachableButFree: number }
export type CompactReport = { bytesBefore: number; bytesAfter: number; pagesCopied: number }

export class Space implements MarkingGate {
  /** Set while a gc marks: checkpoints (and large commits, which need one) wait for it. */
  marking: Promise<void> | null = null
  gcRuns = 0
  pagesFreed = 0
  /** Background gcs that failed (the next trigger runs another). */
  backgroundErrors = 0
  readonly gcDuration = new Histogram(BACKGROUND_BUCKETS)
  private assistMarking: ((walFull: boolean) => void) | null = null
  /** Snapshots were dropped since the last gc(): their pages are waiting to be freed. */
  private gcWanted = false
  private writtenAtGc = 0
  private gcRun: Promise<GcStats> | null = null
  private gcTimer: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly tree: Tree,
    private readonly pager: Pager,
    private readonly wal: Wal,
    private readonly catalog: Catalog,
    private readonly writer: Writer,
    private readonly checkpointer: Checkpointer,
    private readonly opts: { checkpointDelayMs: number },
    private readonly check: () => void,
    private readonly isClosed: () => boolean,
  ) {}

  // ---- hooks ------------------------------------------------------------------------------------

  /**
   * Tree.onCopy: a page the tree copied away from. Newer than every retained root: free at the
   * next checkpoint. Else its head's deadlist learns of it once its commit is checkpointed.
   */
  copiedAway(old: Node): void {
    const head = this.tree.head
    // nothing retained is as new as it, and no other head can reach it
    const cheap = old.gen > this.catalog.retainedGen && this.catalog.ownedBy(head, old.gen)
    const dead = { head, born: old.gen, died: this.catalog.generation, switches: this.catalog.switchCount(head) }
    if (old.slot < 0) {
      // only in memory: written out by the next checkpoint only if a retained root reaches it
      if (!cheap) this.checkpointer.deadAtNext({ ...dead, slot: -1, node: old })
      return
    }
    const slots = [old.slot]
    if (old.keyChains) for (const c of old.keyChains) for (const p of this.pager.chainPagesFast(c)) slots.push(p.slot)
    if (cheap) for (const slot of slots) this.checkpointer.freeAtNext(slot)
    else for (const slot of slots) this.checkpointer.deadAtNext({ ...dead, slot })
  }

  /** Catalog.onDropped: roots went; their pages wait for a gc (`schedule`: start one soon). */
  wanted(schedule: boolean): void {
    this.gcWanted = true
    if (schedule) this.scheduleGc()
  }

  /** Checkpointer.onCheckpointed: the pages copied away since the last checkpoint join their deadlists, or are free now. */
  afterCheckpoint(dead: PendingDead[]): void {
    const free: number[] = []
    for (const d of dead) {
      const slot = d.node ? d.node.slot : d.slot
      if (slot < 0) continue // never written: nothing to free
      // (a node written out since carries its key chains then; the gc finds those)
      if (this.catalog.died(d.head, { slot, born: d.born, died: d.died }, d.switches) === 'free') free.push(slot)
    }
    if (free.length) this.pager.addFree(free)
    // Busy writers never let the gc timer fire: collect after the checkpoint instead, once enough
    // was written since the last gc that the garbage may be worth a walk of every live page.
    if (this.gcWanted && this.opts.checkpointDelayMs > 0 && this.gcDue()) {
      this.gcWanted = false
      queueMicrotask(() => this.isClosed() || this.backgroundGc())
    }
  }

  /** MarkingGate: a commit gives a starved marking a step (or, with the WAL full, the rest). */
  assist(walFull: boolean): void {
    this.assistMarking?.(walFull)
  }

  stopTimers(): void {
    clearTimeout(this.gcTimer)
  }

  // ---- gc ---------------------------------------------------------------------------------------

  /**
   * One gc at a time: a call while one runs shares it. With `giveBack`, the free tail of the
   * file is cut afterwards. Cost: O(live pages) reads.
   */
  gc(giveBack: boolean): Promise<GcStats> {
    this.gcRun ??= this.writer.inTurn(() => this.runGc(giveBack)).finally(() => (this.gcRun = null))
    return this.gcRun
  }

  /** A dropped snapshot's pages come back by a gc() in the background, debounced. */
  private scheduleGc(): void {
    const delay = this.opts.checkpointDelayMs * 2
    if (delay <= 0 || this.gcTimer !== undefined || this.isClosed()) return
    this.gcTimer = setTimeout(() => {
      this.gcTimer = undefined
      // a gc that runs now may have started before the drop: wait for it, then look again
      if (this.gcRun) void this.gcRun.then(() => this.scheduleGc(), () => this.scheduleGc())
      else if (!this.isClosed() && this.gcWanted) this.backgroundGc()
    }, delay)
    ;(this.gcTimer as { unref?: () => void }).unref?.()
  }

  /**
   * Whether a background gc pays: it walks every live page, so it waits until the pages written
   * since the last one reach a quarter of the live ones (at least GC_MIN_WRITTEN). The walk then
   * costs O(1) per page written, and garbage stays under about a quarter of the file.
   */
  private gcDue(): boolean {
    const written = this.pager.counters.pagesWritten - this.writtenAtGc
    return written >= Math.max(GC_MIN_WRITTEN, (this.pager.slotCount - this.pager.freeCount) / 4)
  }

  /** gc() started by the engine itself: it gives space back only when that is worth a checkpoint. */
  private backgroundGc(): void {
    this.gc(false).catch((e: unknown) => {
      if (this.isClosed()) return
      // Nothing is lost: the garbage stays until the next gc. Counted in stats and metrics.
      this.backgroundErrors++
      this.gcWanted = true
    })
  }

  private async runGc(giveBack = true): Promise<GcStats> {
    this.gcWanted = false
    this.writtenAtGc = this.pager.counters.pagesWritten
    const started = now()
    // Checkpoint first, so that the durable Meta no longer holds dropped snapshots or old heads.
    this.checkpointer.markChanged()
    await this.checkpoint()
    await this.writer.checkpointIdle()
    this.check()
    const { marked, freed } = await this.markInSteps()
    // The next checkpoint saves the free list (a crash before it only leaks, till the next gc).
    // Giving the free tail of the file back needs it saved first: done by gc(), and in the
    // background only when a quarter of the file is a free tail. A checkpoint here otherwise
    // writes out every commit made while marking, and a busy writer's workload then keeps
    // three trees on disk instead of two (measured: the soak at 4.7x a fresh store, not 3.2x).
    this.checkpointer.markChanged()
    if (giveBack || this.pager.freeTail() * 4 >= this.pager.slotCount) {
      await this.checkpoint()
      await this.writer.checkpointIdle()
      this.pager.truncateTail()
    }
    const seconds = (now() - started) / 1000
    this.gcDuration.observe(seconds)
    this.gcRuns++
    const pagesFree = this.pager.freeCount
    this.pagesFreed += freed
    return { pagesFreed: freed, pagesLive: marked.size, pagesFree, durationMs: seconds * 1000 }
  }

  /**
   * Marks what the live roots reach, GC_STEP_PAGES pages at a time, and puts every slot they
   * don't reach on the free list. Writers commit between steps (to memory and the WAL);
   * checkpoints wait until it ends (see Marker).
   */
  private async markInSteps(): Promise<{ marked: Set<number>; freed: number }> {
    this.tree.freeze()
    const marker = new Marker(this.tree, this.liveRoots())
    let end!: () => void
    this.marking = new Promise<void>((resolve) => (end = resolve))
    let urgent = false
    try {
      // A writer loop that never yields to the event loop starves the timer (and with it every
      // checkpoint): then commits assist, each giving the marking a step once it has waited a
      // few ms, and once the WAL is over its threshold the rest is marked in one go.
      while (!marker.step(urgent ? Infinity : GC_STEP_PAGES)) {
        const parked = now()
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 0)
          this.assistMarking = (walFull) => {
            if (!walFull && now() - parked < GC_ASSIST_AFTER_MS) return
            clearTimeout(timer)
            urgent ||= walFull
            resolve()
          }
        })
        this.assistMarking = null
      }
      // Now, before any checkpoint can allocate a slot the marking never saw: unmarked slots
      // (but those already waiting in the ledger) are the garbage.
      const pending = this.checkpointer.pendingSet()
      const free = unmarked(this.pager.slotCount, marker.marked).filter((s) => !pending.has(s))
      const freed = Math.max(0, free.length - this.pager.freeCount) // newly found unreachable
      this.pager.setFree(free)
      this.catalog.gcFreed(new Set(free))
      return { marked: marker.marked, freed }
    } finally {
      this.marking = null
      end()
      this.writer.runTurns()
    }
  }

  /** A checkpoint, unless the database closed meanwhile (ClosedError). */
  private checkpoint(): Promise<void> {
    this.check()
    return this.writer.checkpoint()
  }

  /** Every root whose pages must stay: heads, flushed heads, snapshots, readers, the durable Meta's. */
  private liveRoots(): (Ref | null)[] {
    return [...this.catalog.roots().values(), ...this.writer.flushedRoots(), ...this.catalog.snapRoots(), ...this.catalog.readerRoots(), ...this.checkpointer.durableRoots()]
  }

  // ---- compaction -------------------------------------------------------------------------------

  /**
   * Gives the free space inside the pages file (and the WAL file) back to the OS; gc() only cuts
   * a free tail. A gc, then every live page above the first `live` slots, and the pages on the
   * paths to them, is copied and written to the lowest free slots by one checkpoint that
   * switches every head and snapshot to the copies; a gc frees the old pages and truncates the
   * tail. Paths need slots too, so a pass may leave a few copies high: passes repeat (up to
   * COMPACT_PASSES) until one moves nothing. Nothing changes for readers; shared pages stay
   * shared. Open readers keep their old pages (and so part of the tail) until they end.
   * Cost: O(live pages) reads and up to as many writes per pass; copies are held in memory
   * until their checkpoint.
   */
  compact(): Promise<CompactReport> {
    return this.writer.inTurn(async () => {
      const bytesBefore = this.pager.slotCount * this.pager.pageSize
      let pagesCopied = 0
      await this.runGc(true)
      // The pages on the paths to moved pages need slots too, so a pass can leave a few copies
      // above the cut; the next pass moves those (measured: two or three passes settle).
      for (let pass = 0; pass < COMPACT_PASSES; pass++) {
        const copied = await this.compactPass()
        pagesCopied += copied
        if (copied === 0) break // nothing live above the cut
      }
      this.wal.shrink() // just checkpointed: the log file holds little that is live
      return { bytesBefore, bytesAfter: this.pager.slotCount * this.pager.pageSize, pagesCopied }
    })
  }

  /** One compaction pass (after a gc): copy, checkpoint, gc. Returns the pages copied. */
  private async compactPass(): Promise<number> {
    this.check()
    this.writer.flushNow() // commits waiting for their flush record their history roots first
    const relocator = new Relocator(this.tree, this.pager.slotCount - this.pager.freeCount)
    const move = (r: Ref | null) => relocator.root(r)
    this.catalog.mapRoots(move)
    this.writer.mapFlushedRoots(move)
    this.tree.freeze()
    this.checkpointer.markChanged()
    await this.checkpoint()
    await this.writer.checkpointIdle()
    await this.runGc(true)
    return relocator.copied
  }

  // ---- audit ------------------------------------------------------------------------------------

  /**
   * Where the pages file's slots are: reachable from a live root, free, waiting to be freed at
   * the next checkpoint, or none of these (leaked), and reachable slots wrongly on the free list.
   * Cost: O(live pages) reads.
   */
  audit(): SpaceReport {
    const marked = markReachable(this.tree, this.liveRoots())
    const free = this.pager.freeSlots()
    const pending = this.checkpointer.pendingSet()
    let leaked = 0
    let reachableButFree = 0
    for (let slot = 0; slot < this.pager.slotCount; slot++) {
      if (marked.has(slot) && free.has(slot)) reachableButFree++
      else if (!marked.has(slot) && !free.has(slot) && !pending.has(slot)) leaked++
    }
    return { slots: this.pager.slotCount, reachable: marked.size, free: free.size, pending: pending.size, leaked, reachableButFree }
  }
}
