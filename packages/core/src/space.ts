// Which slots of the pages file are free, and when. A page becomes free in one of four ways:
// - the cheap path: a commit copies a page away, and no retained root (snapshot, history entry,
//   reader) is as new as the page: it is free after the next checkpoint (Checkpointer's ledger);
// - deadlists: a page copied away that retained roots still reach waits in the group of the
//   youngest of them, and is free once that root goes (deadlist.ts, via catalog.ts);
// - gc: marks what every live root reaches, in steps that let writers commit between them, and
//   frees every other slot (what is shared, what a range delete dropped, what retention or a
//   dropped branch let go); it runs in the background, paced by the pages written since the
//   last one, and after snapshots, branches, range deletes or readers go;
// - compaction: copies live pages from the top of the file into free slots below, a bounded
//   number per step, so that the tail can be cut and given back; in the background when the
//   file holds much free space, and by compact().
// It also answers the audit (`space()`): where every slot is, and whether any leaked; and owns
// the checkpoints' pacing by the store's size (pacing.ts).

import type { Tree } from './btree.js'
import type { Catalog } from './catalog.js'
import type { Checkpointer, PendingDead } from './checkpoint.js'
import { Relocator, type Moved } from './compact.js'
import { Marker, markReachable, unmarked } from './gc.js'
import { Pacing, type PacingOptions } from './pacing.js'
import { BACKGROUND_BUCKETS, Histogram, now } from './metrics.js'
import type { Node, Ref } from './node.js'
import type { Pager } from './pager.js'
import type { GcStats } from './types.js'
import type { Wal } from './wal.js'
import type { MarkingGate, Writer } from './writer.js'

/** Pages written since the last gc before a background gc is worth a walk (at least). */
const GC_MIN_WRITTEN = 64
/** How far a background gc that keeps finding little backs off (times its usual interval). */
const GC_MAX_BACKOFF = 8
/** Pages a gc marks between yields: a few ms of work (measured ~7 ms at 1M keys), so writers never wait long. */
const GC_STEP_PAGES = 256
/** How long a marking step may wait for its timer before a commit runs it instead. */
const GC_ASSIST_AFTER_MS = 4
/** Live pages a compaction step moves at most: its copies stay in memory until their checkpoint. */
const COMPACT_STEP_PAGES = 1024
/** Slots a compaction must give back at least to be worth a walk of the live pages. */
const COMPACT_MIN_GAIN = 32
/** Steps compact() takes at most (each moves up to COMPACT_STEP_PAGES, plus paths). */
const COMPACT_MAX_STEPS = 1000

export type SpaceReport = { slots: number; reachable: number; free: number; pending: number; leaked: number; reachableButFree: number }
export type CompactReport = { bytesBefore: number; bytesAfter: number; pagesCopied: number }
export type SpaceOptions = PacingOptions & { checkpointDelayMs: number }

/** A compaction step's copies, switched in memory, waiting for the checkpoint that makes them durable. */
type Relocation = { moved: Moved[]; chains: Set<number>; after: number }

export class Space implements MarkingGate {
  /** Set while a gc marks: checkpoints (and large commits, which need one) wait for it. */
  marking: Promise<void> | null = null
  gcRuns = 0
  pagesFreed = 0
  /** Compaction steps, and the pages they copied. */
  compactions = 0
  pagesRelocated = 0
  /** Background gcs and compaction steps that failed (the next trigger runs another). */
  backgroundErrors = 0
  readonly gcDuration = new Histogram(BACKGROUND_BUCKETS)
  private assistMarking: ((walFull: boolean) => void) | null = null
  /** Snapshots were dropped since the last gc(): their pages are waiting to be freed. */
  private gcWanted = false
  private writtenAtGc = 0
  /** Multiplies the background gc's interval while gcs find little (deadlists free most pages). */
  private gcBackoff = 1
  private gcRun: Promise<GcStats> | null = null
  private gcTimer: ReturnType<typeof setTimeout> | undefined
  /** One gc or compaction step at a time: each marks, and a gc's free list must see every relocation settled. */
  private jobs: Promise<unknown> = Promise.resolve()
  private relocation: Relocation | null = null
  private compactTimer: ReturnType<typeof setTimeout> | undefined
  /** The checkpoint count when a background step last gained nothing: no retry until the next checkpoint. */
  private stalledAt = -1
  /** The last step did not move: open readers reach pages it would have moved (it retries later). */
  private readersInTheWay = false
  /** When the log last moved (by its lsn), to tell a quiet store from a busy one. */
  private lastLsn = -1
  private lastLsnAt = 0
  /** When checkpoints are due (pacing.ts). */
  readonly pacing: Pacing

  constructor(
    private readonly tree: Tree,
    private readonly pager: Pager,
    private readonly wal: Wal,
    private readonly catalog: Catalog,
    private readonly writer: Writer,
    private readonly checkpointer: Checkpointer,
    private readonly opts: SpaceOptions,
    private readonly check: () => void,
    private readonly isClosed: () => boolean,
  ) {
    this.pacing = new Pacing(pager, wal, opts)
  }

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
      else this.pacing.diedUnwritten()
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
    this.pacing.checkpointed()
    const free: number[] = []
    for (const d of dead) {
      const slot = d.node ? d.node.slot : d.slot
      if (slot < 0) continue // never written: nothing to free
      // (a node written out since carries its key chains then; the gc finds those)
      if (this.catalog.died(d.head, { slot, born: d.born, died: d.died }, d.switches) === 'free') free.push(slot)
    }
    if (free.length) this.pager.addFree(free)
    this.settleRelocation()
    // Busy writers never let the gc timer fire: collect after the checkpoint instead, once enough
    // was written since the last gc that the garbage may be worth a walk of every live page.
    if (this.gcWanted && this.opts.checkpointDelayMs > 0 && this.gcDue()) {
      this.gcWanted = false
      queueMicrotask(() => this.isClosed() || this.backgroundGc())
    }
    this.scheduleCompaction()
  }

  /** MarkingGate: a commit gives a starved marking a step (or, with the WAL full, the rest). */
  assist(walFull: boolean): void {
    this.assistMarking?.(walFull)
  }

  stopTimers(): void {
    clearTimeout(this.gcTimer)
    clearTimeout(this.compactTimer)
  }

  /** Its part of Database.stats(). */
  stats(): { gcRuns: number; compactions: number; pagesRelocated: number } {
    return { gcRuns: this.gcRuns, compactions: this.compactions, pagesRelocated: this.pagesRelocated }
  }

  /** MarkingGate: whether the store's size calls for a checkpoint (pacing.ts). */
  checkpointDue(): boolean {
    return this.pacing.due()
  }

  private livePages(): number {
    return this.pacing.livePages()
  }

  // ---- gc ---------------------------------------------------------------------------------------

  /**
   * One gc at a time: a call while one runs shares it. With `giveBack`, the free tail of the
   * file is cut afterwards. Cost: O(live pages) reads.
   */
  gc(giveBack: boolean): Promise<GcStats> {
    this.gcRun ??= this.exclusive(() => this.writer.inTurn(() => this.runGc(giveBack)))
      .then(({ moved: _, ...stats }) => stats)
      .finally(() => (this.gcRun = null))
    return this.gcRun
  }

  /** Runs `fn` after every gc and compaction step started before it. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.jobs.then(fn, fn)
    this.jobs = run.catch(() => {})
    return run
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
    return written >= Math.max(GC_MIN_WRITTEN, this.livePages() / 4) * this.gcBackoff
  }

  /** gc() started by the engine itself: it gives space back only when that is worth a checkpoint. */
  private backgroundGc(): void {
    this.gc(false).then(
      () => this.scheduleCompaction(),
      () => {
        if (this.isClosed()) return
        // Nothing is lost: the garbage stays until the next gc. Counted in stats and metrics.
        this.backgroundErrors++
        this.gcWanted = true
      },
    )
  }

  /**
   * Checkpoints (so the durable Meta no longer holds dropped snapshots or old heads), marks, and
   * frees what nothing reaches. With `cut`, it is a compaction step: the live pages at or above
   * the cut move down (see relocate), and a second checkpoint makes that durable.
   */
  private async runGc(giveBack = true, cut = Infinity): Promise<GcStats & { moved: number }> {
    this.gcWanted = false
    const written = this.pager.counters.pagesWritten - this.writtenAtGc
    this.writtenAtGc = this.pager.counters.pagesWritten
    const started = now()
    this.checkpointer.markChanged()
    await this.checkpoint()
    await this.writer.checkpointIdle()
    this.check()
    const { marked, freed, moved } = await this.markInSteps(cut)
    // The next checkpoint saves the free list (a crash before it only leaks, till the next gc).
    // Giving the free tail of the file back needs it saved first: done by gc(), and in the
    // background only when a quarter of the file is a free tail. A checkpoint here otherwise
    // writes out every commit made while marking, and a busy writer's workload then keeps
    // three trees on disk instead of two (measured: the soak at 4.7x a fresh store, not 3.2x).
    this.checkpointer.markChanged()
    if (moved || giveBack || this.pager.freeTail() * 4 >= this.pager.slotCount) {
      // (a compaction step's checkpoint settles its relocation: afterCheckpoint)
      await this.checkpoint()
      await this.writer.checkpointIdle()
      this.pager.truncateTail()
    }
    const seconds = (now() - started) / 1000
    this.gcDuration.observe(seconds)
    if (cut === Infinity) this.gcRuns++ // (a compaction step is counted as one)
    const pagesFree = this.pager.freeCount
    this.pagesFreed += freed
    // Deadlists and the cheap path free most pages without a walk; what the gc finds is what
    // they cannot track (shared pages, overflow values, range deletes). Finding little, it waits
    // longer next time; finding much, it comes back to its usual pace.
    this.gcBackoff = freed * 8 < written ? Math.min(GC_MAX_BACKOFF, this.gcBackoff * 2) : 1
    return { pagesFreed: freed, pagesLive: marked.size, pagesFree, durationMs: seconds * 1000, moved }
  }

  /**
   * Marks what the live roots reach, GC_STEP_PAGES pages at a time, and puts every slot they
   * don't reach on the free list; with a cut, then relocates what lies above it. Writers commit
   * between steps (to memory and the WAL); checkpoints wait until it ends (see Marker).
   */
  private async markInSteps(cut: number): Promise<{ marked: Set<number>; freed: number; moved: number }> {
    // A checkpoint that started earlier must end first: the slots it allocates, and the roots
    // its Meta names, must be the ones marking sees.
    while (this.writer.checkpointRunning) await this.writer.checkpointIdle()
    this.tree.freeze()
    const marker = new Marker(this.tree, this.liveRoots(), cut)
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
        this.check()
      }
      // Now, before any checkpoint can allocate a slot the marking never saw: unmarked slots
      // (but those already waiting in the ledger) are the garbage.
      const pending = this.checkpointer.pendingSet()
      const free = unmarked(this.pager.slotCount, marker.marked).filter((s) => !pending.has(s))
      const freed = Math.max(0, free.length - this.pager.freeCount) // newly found unreachable
      this.pager.setFree(free)
      this.catalog.gcFreed(new Set(free))
      // a relocation not yet durable loses its frees: its originals are garbage for the next gc
      if (this.relocation) this.cancelRelocation()
      const moved = cut < this.pager.slotCount ? this.relocate(marker, cut) : 0
      return { marked: marker.marked, freed, moved }
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
   * a free tail. Steps of the background compaction until nothing is left to move: each marks
   * the live pages, copies at most COMPACT_STEP_PAGES of them from the top of the file (and the
   * pages on their paths) and writes the copies to the lowest free slots with one checkpoint
   * that switches every root; then the originals are freed and the tail cut. Memory holds one
   * step's copies, never the whole move. Nothing changes for readers; shared pages stay shared.
   * Pages open readers reach stay where they are until the readers end.
   * Cost: O(live pages) reads per step, and up to COMPACT_STEP_PAGES writes plus their paths.
   */
  async compact(): Promise<CompactReport> {
    this.check()
    const bytesBefore = this.pager.slotCount * this.pager.pageSize
    let pagesCopied = 0
    await this.gc(true)
    // a step whose copies did not all fit below its cut leaves the next one less to move; two
    // steps in a row that give nothing back end it (the last pages' paths need room too)
    for (let step = 0, idle = 0; step < COMPACT_MAX_STEPS && idle < 2; step++) {
      const before = this.pager.slotCount
      const moved = await this.exclusive(() => this.compactStep(0))
      pagesCopied += moved
      if (moved === 0) break
      idle = this.pager.slotCount < before ? 0 : idle + 1
    }
    await this.exclusive(async () => {
      this.checkpointer.markChanged()
      await this.checkpoint() // saves the free list and the shorter file
      this.wal.shrink() // just checkpointed: the log file holds little that is live
    })
    return { bytesBefore, bytesAfter: this.pager.slotCount * this.pager.pageSize, pagesCopied }
  }

  /**
   * One step: the cut is the lowest slot above which at most COMPACT_STEP_PAGES pages are in use
   * (and never below the target size, the live pages plus `headroom`); a gc with that cut marks
   * and relocates, and its checkpoint makes the move durable. Returns the pages copied.
   */
  private async compactStep(headroom: number): Promise<number> {
    this.check()
    this.readersInTheWay = false
    const cut = this.planCut(headroom)
    if (cut === null) {
      if (this.pager.freeTail() === 0) return 0
      await this.runGc(true) // only free slots above the target: a gc cuts them
      return 0
    }
    const { moved } = await this.runGc(false, cut)
    return moved
  }

  /**
   * The cut of the next step, or null when no page in use lies above the target size. Walking
   * down from the end, slots in use are counted until the step's budget is reached or the free
   * slots below would no longer hold the copies. Cost: O(slots above the cut + free slots).
   */
  private planCut(headroom: number): number | null {
    const free = this.pager.freeSlots()
    const inUse = this.pager.slotCount - free.size
    const target = Math.ceil(inUse + headroom)
    let cut = this.pager.slotCount
    let above = 0
    let freeBelow = free.size
    while (cut > target && above < COMPACT_STEP_PAGES) {
      const s = cut - 1
      const isFree = free.has(s)
      // the copies, and the pages on their paths, must fit in the free slots below the cut
      if ((isFree ? freeBelow - 1 : freeBelow) < (isFree ? above : above + 1) * 1.125 + 4) break
      if (isFree) freeBelow--
      else above++
      cut = s
    }
    return above > 0 && cut < this.pager.slotCount ? cut : null
  }

  /**
   * At the end of a marking with a cut (synchronously: no checkpoint can run, no slot can be
   * reused): every head, snapshot and flushed root switches to copies of the pages at or above
   * the cut and of the pages on their paths; the checkpoint that writes the copies completes it
   * (settleRelocation). Skipped while a reader reaches a page that would move: it keeps reading
   * the originals, which must stay. Returns the pages copied.
   */
  private relocate(marker: Marker, cut: number): number {
    // commits waiting for their flush record their history roots first (the roots switch now)
    this.writer.flushNow()
    const relocator = new Relocator(this.tree, cut, (slot) => marker.marked.has(slot) && !marker.above.has(slot))
    this.readersInTheWay = this.catalog.readerRoots().some((r) => relocator.reaches(r))
    if (this.readersInTheWay) return 0
    const move = (r: Ref | null) => relocator.root(r)
    this.catalog.mapRoots(move)
    this.writer.mapFlushedRoots(move)
    this.tree.freeze() // the copies are shared by every root that reached their originals
    this.checkpointer.markChanged()
    this.compactions++
    if (!relocator.moved.length) return 0
    this.writer.durable.relocated(relocator.moved.map((m) => m.copy)) // for shared-memory readers (page-publish.ts)
    this.relocation = { moved: relocator.moved, chains: relocator.chainSlots, after: this.checkpointer.checkpoints }
    this.pagesRelocated += relocator.moved.length
    return relocator.moved.length
  }

  /**
   * In the first checkpoint after a relocation (its Meta names the copies, never the originals),
   * synchronously after the Meta save: the originals and their chains are free, deadlist entries
   * follow their pages to the copies (so nothing is freed twice), and the free tail is cut.
   */
  private settleRelocation(): void {
    const r = this.relocation
    if (!r || this.checkpointer.checkpoints <= r.after) return
    this.relocation = null
    const moves = new Map<number, number>()
    const gone = new Set(r.chains)
    for (const { copy, from } of r.moved) {
      gone.add(from)
      // a copy not written was copied away before the checkpoint: nothing reaches its original
      if (copy.slot >= 0) moves.set(from, copy.slot)
    }
    this.catalog.relocated(moves, gone)
    const freeNow = this.pager.freeSlots()
    this.pager.addFree([...gone].filter((s) => !freeNow.has(s)))
    this.checkpointer.markChanged() // the next checkpoint saves the free list
    try {
      this.pager.truncateTail()
    } catch {
      this.backgroundErrors++ // the tail stays; the next step or gc cuts it
    }
  }

  /** A marking ended before the relocation was durable: its originals are left to the next gc. */
  private cancelRelocation(): void {
    this.relocation = null
    this.gcWanted = true
  }

  /**
   * Starts background compaction when the file holds enough free space: at once when the free
   * slots pass half the live ones (a busy store keeps about an eighth as room for checkpoints),
   * and once the store is quiet when they pass a sixteenth (then it compacts to the live size).
   */
  private scheduleCompaction(later = false): void {
    if (this.opts.checkpointDelayMs <= 0 || this.compactTimer !== undefined || this.isClosed()) return
    if (this.stalledAt === this.checkpointer.checkpoints) return
    const busy = this.compactionDue(false)
    if (!busy && !this.compactionDue(true)) return
    this.compactTimer = setTimeout(() => {
      this.compactTimer = undefined
      void this.backgroundCompaction()
    }, busy && !later ? 0 : this.quietMs())
    ;(this.compactTimer as { unref?: () => void }).unref?.()
  }

  private async backgroundCompaction(): Promise<void> {
    if (this.isClosed()) return
    const quiet = this.quiet()
    if (!this.compactionDue(quiet)) {
      if (!quiet) this.scheduleCompaction(true) // look again once it may be quiet
      return
    }
    // pages open readers reach cannot move: wait for them to end (a marking would be wasted)
    if (this.catalog.readerRoots().length) return this.scheduleCompaction(true)
    try {
      const before = this.pager.slotCount
      await this.exclusive(() => this.compactStep(quiet ? 0 : this.livePages() / 4))
      if (this.readersInTheWay) return this.scheduleCompaction(true)
      if (this.pager.slotCount >= before) this.stalledAt = this.checkpointer.checkpoints
      else if (quiet && !this.compactionDue(true)) {
        // done: save the free list and the shorter file, and give the log file back too
        await this.exclusive(async () => {
          await this.checkpoint()
          this.wal.shrink()
        })
      }
    } catch {
      if (this.isClosed()) return
      this.backgroundErrors++
      this.stalledAt = this.checkpointer.checkpoints
    }
    this.scheduleCompaction()
  }

  /** Whether the free slots are worth a compaction (see scheduleCompaction). */
  private compactionDue(quiet: boolean): boolean {
    const free = this.pager.freeCount
    const live = this.livePages()
    return free >= Math.max(COMPACT_MIN_GAIN, quiet ? live / 16 : live / 2)
  }

  /** No commit for this long: the store is quiet, and compaction goes down to the live size. */
  private quietMs(): number {
    return Math.max(10, this.opts.checkpointDelayMs * 2)
  }

  private quiet(): boolean {
    const t = now()
    if (this.wal.lsn !== this.lastLsn) {
      this.lastLsn = this.wal.lsn
      this.lastLsnAt = t
    }
    return t - this.lastLsnAt >= this.quietMs()
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
