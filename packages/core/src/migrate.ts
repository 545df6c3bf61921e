// The format migration: a store written in format 1 becomes format 2 when it opens
// (docs/format.md). Format 2 stores keys with astral characters in other bytes, in another order,
// and every value in another codec, so every root the store keeps (heads, branches, named and
// history snapshots) gets a new tree; the switch to them is one Meta save.
//
//   1. replay: the format-1 WAL is replayed as it was written, on format 1's key bytes and order
//      (a range delete's bounds mean what they meant then), by the same Applier recovery uses;
//   2. build: every distinct root, oldest generation first, becomes a format-2 tree. The first
//      (and any that shares little with the ones before) is bulk-loaded from a walk of its old
//      tree; each other one is an already built root plus the diff of their OLD trees,
//      re-encoded and transcoded (legacy.ts). So roots share pages as they did before, and the
//      cost and the size follow the data and its changes, not data x snapshots. Pages of each
//      finished root (and of a large diff, in chunks) are written out as it goes, so memory
//      stays bounded, to slots free in the format-1 Meta or past its end; no Meta is saved, and
//      no slot format 1 uses is ever written. One flush makes them all durable;
//   3. switch: one Meta save names the new roots (same snapshot ids, labels, kinds, times,
//      branches, history cursors, retention), version 2, a fresh WAL cycle (its salt retires
//      the old records, which the new roots cover), and a free list of every slot the new roots
//      do not reach: the old pages are free from that moment, with no gc.
//
// Crash safety: before step 3 the format-1 Meta, its pages and its WAL are as they were (only
// free slots and the tail were written), so a crash leaves a format-1 store that migrates
// again on the next open; step 3 is atomic (MetaStore.save), and every page the new Meta names
// was flushed before it.

import { SortedBuilder, Tree, insert, lookup, remove, walk, type StoredValue } from './btree.js'
import { Catalog } from './catalog.js'
import { metaOf, writeTree, adoptWritten, type Written } from './checkpoint.js'
import { Applier } from './commit.js'
import { diffTrees, storedEqual } from './diff.js'
import { CorruptionError } from './errors.js'
import { markReachable, unmarked } from './gc.js'
import { compareKeys, isLegacyKey } from './keys.js'
import { transcodeValue, upgradeKey } from './legacy.js'
import { Layout, Overflow, type Node, type Ref } from './node.js'
import { Pager } from './pager.js'
import { decodeRecord } from './records.js'
import { FORMAT_VERSION, type Meta, type RootRef, type Storage } from './store.js'
import { Subscriptions } from './subscriptions.js'
import { CommitLog } from './tx.js'
import { Wal } from './wal.js'

/** Changes applied to a tree in memory before its pages are written out (bounds memory). */
const CHUNK = 4096
/** Pages staged by a bulk load before they are written. */
const STAGE_PAGES = 1024
/** A diff from a built root is used when it changes at most this share of its entries (plus a few). */
const DIFF_SHARE = 0.5
const DIFF_MIN = 64

export type MigrateOptions = {
  /** Page cache budget while migrating. */
  cacheBytes: number
  /** The clock the format-1 replay runs with (retention by age). */
  now?: () => number
  /** Called after each root is built and written: `done` of `total` roots. */
  onRoot?: (done: number, total: number) => void
  /** Changes applied in memory before a partial tree is written out (default CHUNK; tests). */
  chunk?: number
}

/**
 * Throws CorruptionError, naming the version, for a Meta of a format this code cannot open (a
 * later cowdb wrote it, or it is not a cowdb Meta). Cost: O(1).
 */
export function checkVersion(meta: Meta): void {
  const v = (meta as { version?: unknown }).version
  if (v === 1 || v === FORMAT_VERSION) return
  throw new CorruptionError(`cowdb: this store has format version ${JSON.stringify(v)}; this cowdb opens formats 1 to ${FORMAT_VERSION} (a later version of cowdb wrote it?)`)
}

/** What the migration did, for tests and the bench. */
export type MigrateReport = { roots: number; bulkLoads: number; diffs: number; changesApplied: number; pagesWritten: number }

/** An old root to migrate: its lowest generation and the branch it was first seen on. */
type OldRoot = { ref: Ref; generation: number; branch: string; head: boolean }
/** A migrated root: the old one, its new root, and how many entries it holds. */
type Built = { old: OldRoot; root: RootRef; count: number }

/**
 * Migrates the format-1 store `meta` names on `storage` to format 2 and returns the format-2
 * Meta it saved (which Database.open then opens as usual). On a failure before the Meta save
 * nothing was saved: the store is still format 1. Cost: O(WAL) to replay, O(entries) for the first root and
 * O(changed pages) for each other one, about as many page writes as the live pages, one Meta save.
 */
export async function migrate(storage: Storage, meta: Meta, opts: MigrateOptions): Promise<{ meta: Meta; report: MigrateReport }> {
  const m = new Migration(storage, meta, opts)
  let next: Meta
  try {
    m.replay()
    m.buildAll()
    next = m.switchMeta()
  } catch (e) {
    // the error keeps its class (CorruptionError with its page, QuotaExceededError, ...); the
    // message says what it interrupted and that nothing changed
    if (e instanceof Error) e.message = `cowdb: migrating this store from format 1 to ${FORMAT_VERSION} failed, and left it as it was: ${e.message}`
    throw e
  }
  await storage.meta.save(next)
  return { meta: next, report: m.report }
}

class Migration {
  readonly report: MigrateReport = { roots: 0, bulkLoads: 0, diffs: 0, changesApplied: 0, pagesWritten: 0 }
  private readonly pager: Pager
  private readonly tree: Tree
  private readonly wal: Wal
  private readonly catalog: Catalog
  private readonly sameValue: (a: StoredValue, b: StoredValue) => boolean
  /** Old root page id → its new root. */
  private readonly built = new Map<number, Built>()
  /** The newest built root of each branch: where the next root of a branch starts from. */
  private readonly newest = new Map<string, Built>()
  /** Old overflow chain (first page id) → the value it holds, transcoded (written once, shared). */
  private readonly chains = new Map<number, StoredValue>()

  constructor(
    private readonly storage: Storage,
    private readonly meta: Meta,
    private readonly opts: MigrateOptions,
  ) {
    this.pager = new Pager(storage.pages, new Layout(meta.pageSize), opts.cacheBytes)
    this.pager.slotCount = meta.slotCount
    this.pager.nextId = meta.nextPageId
    this.pager.loadFreeRuns(meta.free) // only these slots, and the tail, are ever written
    this.tree = new Tree(this.pager)
    this.wal = new Wal(storage.wal)
    // the saved retention: the one given to open() applies after, as it would have in format 1
    this.catalog = new Catalog(this.tree, meta, undefined, opts.now ?? Date.now)
    this.sameValue = storedEqual((o) => this.pager.readChain(o, o.length))
  }

  /** Step 1: the format-1 WAL, replayed on format-1 bytes (the tree orders keys by their bytes). */
  replay(): void {
    const applier = new Applier(this.tree, this.catalog, new Subscriptions(() => {}, () => {}), new CommitLog(), this.sameValue)
    this.wal.replay(this.meta.lsn, this.meta.walSalt ?? 0, (type, body) => applier.apply(decodeRecord(type, body)))
    for (const s of this.catalog.snapList()) this.catalog.hlc.observe(s.id)
    this.tree.freeze()
  }

  /** Step 2: every distinct root, oldest first, built in format 2 and written. */
  buildAll(): void {
    const roots = this.oldRoots()
    const written = this.pager.counters.pagesWritten
    for (const r of roots) {
      // Pages made for a root carry its generation: every root built later (which may share them)
      // is at least as new, so the cheap free path treats them as the snapshots' they are.
      this.tree.gen = this.pager.gen = r.generation
      const base = this.baseFor(r)
      const built = base ? this.fromBase(base, r) : this.load(r)
      this.built.set(r.ref.id, built)
      this.newest.set(r.branch, built) // oldest first: the last built on a branch is its newest
      this.report.roots++
      this.opts.onRoot?.(this.report.roots, roots.length)
    }
    this.report.pagesWritten = this.pager.counters.pagesWritten - written
  }

  /** Step 3's Meta: format 2, the new roots, every slot they do not reach free. */
  switchMeta(): Meta {
    // every page was written without a flush (they can be read back; nothing durable names them
    // yet): one flush now makes them all durable before the Meta that names them is saved
    this.storage.pages.flush()
    const roots = [...this.built.values()].map((b) => b.root)
    this.pager.setFree(unmarked(this.pager.slotCount, markReachable(this.tree, roots)))
    const rootOf = (r: Ref | null): RootRef => (r ? this.built.get(r.id)!.root : null)
    return metaOf(this.pager, this.catalog, this.wal.lsn, (h) => rootOf(h.root), (s) => rootOf(s.root))
  }

  /**
   * The distinct roots the catalog keeps, each once (a head at a snapshot's root is that root),
   * oldest generation first, heads last; ties by branch, then page id: a deterministic order.
   */
  private oldRoots(): OldRoot[] {
    const byId = new Map<number, OldRoot>()
    const note = (ref: Ref | null, generation: number, branch: string, head: boolean) => {
      if (!ref) return
      const seen = byId.get(ref.id)
      if (!seen || generation < seen.generation) byId.set(ref.id, { ref, generation, branch, head })
    }
    for (const s of this.catalog.snapList()) note(s.root, s.generation, s.branch, false)
    for (const h of this.catalog.headList()) note(h.root, this.catalog.generation, h.name, true)
    return [...byId.values()].sort(
      (a, b) => a.generation - b.generation || Number(a.head) - Number(b.head) || (a.branch < b.branch ? -1 : a.branch > b.branch ? 1 : 0) || a.ref.id - b.ref.id,
    )
  }

  /**
   * The built root to start `r` from: among the newest built root of each branch (its own
   * branch's first), the one whose old tree differs least from r's, if that difference is at
   * most about half its entries; else none (a bulk load is cheaper and packs pages fuller).
   * Cost: O(changed pages) per candidate, each count stopped at the best so far.
   */
  private baseFor(r: OldRoot): Built | undefined {
    const own = this.newest.get(r.branch)
    const candidates = own ? [own, ...[...this.newest.values()].filter((b) => b !== own)] : [...this.newest.values()]
    let best: Built | undefined
    let bestChanges = Infinity
    for (const c of candidates) {
      const cap = Math.min(bestChanges - 1, Math.floor(c.count * DIFF_SHARE) + DIFF_MIN)
      let n = 0
      for (const _ of diffTrees(this.tree, c.old.ref, r.ref, this.sameValue)) if (++n > cap) break
      if (n <= cap) {
        best = c
        bestChanges = n
      }
    }
    return best
  }

  /** `r` as `base`'s new tree plus the diff of their old trees. Cost: O(changed pages). */
  private fromBase(base: Built, r: OldRoot): Built {
    this.report.diffs++
    let root: Ref | null = base.root
    let count = base.count
    let pending = 0
    for (const c of diffTrees(this.tree, base.old.ref, r.ref, this.sameValue)) {
      const key = upgradeKey(c.key)
      if (c.after === undefined) {
        root = remove(this.tree, root, key)
        count--
      } else {
        root = insert(this.tree, root, key, this.value(c.after, key))
        if (c.before === undefined) count++
      }
      this.report.changesApplied++
      // a large diff goes out in chunks; the chunks' pages a later change copies become garbage,
      // which the switch frees with the old pages
      if (++pending >= (this.opts.chunk ?? CHUNK)) {
        root = this.writeOut(root)
        pending = 0
      }
    }
    return { old: r, root: this.writeOut(root), count }
  }

  /**
   * `r` bulk-loaded: its entries in the new key order, pages filled bottom-up and written as
   * they fill. Keys with astral characters sort elsewhere in format 2 (earlier: a surrogate is
   * below U+E000), so a first walk collects them, sorted by their new bytes, and a second
   * merges them into the others, whose order does not change. Memory: O(height) plus those keys.
   * Cost: two walks of the old tree, one write of each new page.
   */
  private load(r: OldRoot): Built {
    this.report.bulkLoads++
    const all = { loInclusive: true, hiInclusive: true }
    const moved: { key: Uint8Array; old: Uint8Array }[] = []
    walk(this.tree, r.ref, all, false, (k) => {
      if (isLegacyKey(k)) moved.push({ key: upgradeKey(k), old: k.slice() })
      return true
    })
    moved.sort((a, b) => compareKeys(a.key, b.key))
    const b = new SortedBuilder(this.tree, (n) => this.emit(n))
    let count = 0
    let i = 0
    let last: Uint8Array | undefined
    const add = (key: Uint8Array, v: StoredValue) => {
      // a damaged tree could hand back keys out of order; a bulk load would build a wrong tree
      if (last && compareKeys(last, key) >= 0) throw new CorruptionError(`cowdb: the tree of a root (page ${r.ref.id}) holds keys out of order`, r.ref.slot, r.ref.id)
      b.add(key, this.value(v, key))
      last = key
      count++
    }
    const addMoved = () => {
      const m = moved[i++]!
      add(m.key, lookup(this.tree, r.ref, m.old)!)
    }
    walk(this.tree, r.ref, all, false, (k, v) => {
      if (isLegacyKey(k)) return true
      while (i < moved.length && compareKeys(moved[i]!.key, k) < 0) addMoved()
      add(upgradeKey(k), v)
      return true
    })
    while (i < moved.length) addMoved()
    const root = b.finish()
    this.pager.writeStaged(false)
    this.tree.freeze()
    return { old: r, root: root && { slot: root.slot, id: root.id }, count }
  }

  /** SortedBuilder's emit: a full node is staged now, and its parent holds only where it is. */
  private emit(n: Node): Ref {
    this.pager.writeNode(n)
    if (this.pager.stagedCount >= STAGE_PAGES) this.pager.writeStaged(false)
    return { slot: n.slot, id: n.id }
  }

  /** Writes the unwritten nodes under `root` and flushes; later changes copy them. */
  private writeOut(root: Ref | null): RootRef {
    const written: Written[] = []
    const ref = writeTree(this.pager, root, written)
    this.pager.writeStaged(false)
    adoptWritten(this.pager, written)
    this.tree.freeze()
    return ref
  }

  /**
   * An old stored value as a format-2 stored value for `key`. An overflow chain is read,
   * transcoded and, if it still overflows, written to a new chain once, which every root that
   * held the old chain then shares. Cost: O(value size), once per chain.
   */
  private value(v: StoredValue, key: Uint8Array): StoredValue {
    if (!(v instanceof Overflow)) return transcodeValue(v)
    const seen = this.chains.get(v.id)
    if (seen) return seen
    const bytes = transcodeValue(this.pager.readChain(v, v.length))
    const out = this.pager.layout.valueOverflows(key.length, bytes.length) ? chainOf(this.pager.writeChain(bytes), bytes.length) : bytes
    this.chains.set(v.id, out)
    return out
  }
}

const chainOf = (ref: { slot: number; id: number }, length: number) => new Overflow(ref.slot, ref.id, length)
