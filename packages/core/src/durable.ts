// The durable state, for readers outside the engine. The browser's shared-memory reads follow the
// engine through this: at every durability point (a WAL flush, a logged change such as a
// snapshot, a large commit's checkpoint, the end of recovery) the listeners hear of it, then read
// the durable heads and the snapshots here and load the pages they need. Nothing here changes the
// engine, and with no listener a durability point costs one empty loop.
//
// What a listener may rely on: a frozen node (see frozen()) never changes again, and neither does
// a page on disk; page ids are never reused. So a page published under its id stays right for as
// long as anyone can read it, whatever gc, compaction or eviction do later.

import type { Tree } from './btree.js'
import type { Catalog, PinnedReadOptions } from './catalog.js'
import { MAIN } from './heads.js'
import type { DiskRef, Layout, Node, Ref } from './node.js'
import type { BlockFile } from './store.js'

/** The heads (by name) and the generation as of the last durability point. @internal */
export type DurableHeads = { readonly roots: ReadonlyMap<string, Ref | null>; readonly generation: number }
/** A snapshot's root (named or history). @internal */
export type SnapshotRoot = { readonly id: string; readonly root: Ref | null; readonly generation: number }

/** Each open database's feed, by its pages file (a file serves one open database at a time). */
const feeds = new WeakMap<BlockFile, DurableFeed>()

/**
 * What readers outside the engine may see: the durable roots and the pages under them, and a
 * signal at each durability point. Exported for `@cowdb/browser`'s shared-memory publisher, not
 * for apps (it exposes the engine's page types). @internal
 */
export class DurableFeed {
  private readonly listeners = new Set<() => void>()
  /** Copies compaction made since the last takeRelocated(), while someone listens. */
  private copies: Node[] = []

  /**
   * The feed of the database open on the pages file `pages` (the `pages` of the Storage it was
   * opened with), if one is. The browser's worker finds its engine's feed this way. Cost: O(1).
   */
  static of(pages: BlockFile): DurableFeed | undefined {
    return feeds.get(pages)
  }

  constructor(
    private readonly tree: Tree,
    private readonly catalog: Catalog,
    /** The writer's state as of the last durability point. */
    private readonly durable: () => DurableHeads,
  ) {
    feeds.set(tree.pager.file, this)
  }

  /** Called by the writer at every durability point: tells each listener. Cost: O(listeners). */
  passed(): void {
    for (const l of this.listeners) l()
  }

  /**
   * Called by compaction when the heads and snapshots switch to its copies: frozen nodes with new
   * ids and the contents of the pages they replace, on no commit's path (their checkpoint may
   * write them before the next durability point, and the nodes that point at them may be older
   * ones changed in place). Kept for the listeners only. Cost: O(copies).
   */
  relocated(copies: readonly Node[]): void {
    if (this.listeners.size) for (const c of copies) this.copies.push(c)
  }

  /** The copies compaction made since the last call (see relocated()). Cost: O(1). */
  takeRelocated(): Node[] {
    const out = this.copies
    this.copies = []
    return out
  }

  /** Calls `fn` after each durability point, until the returned function is called. Cost: O(1). */
  listen(fn: () => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  /** The heads and generation as of the last durability point. Cost: O(1). */
  get heads(): DurableHeads {
    return this.durable()
  }

  /**
   * The snapshots (named and history) that are durable now and that a read naming no head sees:
   * those of a generation the durable heads have reached (a large commit records its own while
   * its checkpoint is still running), tenants' left out (they are seen only through their tenant).
   * Cost: O(snapshots).
   */
  snapshots(): SnapshotRoot[] {
    const upTo = this.durable().generation
    const out: SnapshotRoot[] = []
    for (const s of this.catalog.snapList()) {
      if (s.generation <= upTo && this.catalog.streams.sees(MAIN, s.branch)) out.push({ id: s.id, root: s.root, generation: s.generation })
    }
    return out
  }

  /**
   * Whether `n` can no longer change: written to disk, or from an epoch that ended. A node of the
   * current epoch may still be changed in place by the next commit. Cost: O(1).
   */
  frozen(n: Node): boolean {
    return n.slot >= 0 || n.epoch !== this.tree.epoch
  }

  /** The root a read with these options sees now (TypeError, SnapshotNotFoundError as the read would). Cost: O(1). */
  rootFor(opts: PinnedReadOptions | undefined): Ref | null {
    return this.catalog.rootFor(opts)
  }

  /** The node behind a pointer. Cost: O(1) cached, else one page read. */
  load(ref: Ref): Node {
    return this.tree.load(ref)
  }

  /** Reads an overflow chain (a value that fits inline again after it was chained). Cost: O(length). */
  readChain(ref: DiskRef, length: number): Uint8Array {
    return this.tree.pager.readChain(ref, length)
  }

  get layout(): Layout {
    return this.tree.layout
  }
}
