// Undo and redo of this device's own edits while it syncs (handle.undo(), handle.redo()).
//
// The engine's undo() is time travel: it moves the head back one commit. Right after a sync that
// commit is the merge, so undo() would take the other devices' edits out, and the next push would
// take them out everywhere. handle.undo() instead reverts the last commit made on this device
// (not a merge, not sync's own), key by key, on top of the head as it is now, as a new commit
// that syncs like any edit. A key that changed since that commit (another device's edit merged,
// or a later commit here) keeps its newer value and is reported as kept. handle.redo() writes
// back what the last undo took out, on the same rule. A new commit of the app ends the redo stack.
//
// Which commits are this device's: every commit on main the tracker hears, less those sync made
// itself. Sync knows the exact writes of its merges and of its undo/redo commits, and a heard
// commit with exactly those writes is that commit (an app commit writing the very same values to
// the very same keys at that moment would only be left out of the undo stack). Commits are sorted
// only when nothing of sync's is in flight (an event can arrive before the commit's promise
// resolves, across the worker boundary), after every commit up to the head's generation is heard.
//
// The stacks live in memory for as long as this handle runs, as an editor's do: the last 100
// commits, at most 32 MiB of values; an older or larger commit ends the undo stack there, and so
// does a subscription's `reset` (events lost across a change of owner tab).

import { decodeValue, encodeValue, type ChangeEvent, type Key, type Value } from '@cowdb/core'
import { keyId, type SyncDatabase } from './local.js'

/** What an undo or redo did. */
export type UndoResult = {
  /** The keys it set back (undo: to their value before that commit; redo: to the value it wrote). */
  changed: Key[]
  /** The keys it left as they are: changed since by another device or a later commit. */
  kept: Key[]
}

/** One key of a commit, values encoded (null: absent). */
type Edit = { key: Key; id: string; before: Uint8Array | null; after: Uint8Array | null }
type Entry = { generation: number; edits: Edit[]; bytes: number }

const MAX_ENTRIES = 100
const MAX_BYTES = 32 << 20
/** Sync's own commits not heard yet are forgotten past this many (a commit that made no event). */
const MAX_MINE = 16
/** How long undo waits for the events of commits up to the head's generation (they come within milliseconds). */
const SETTLE_MS = 1000

const enc = (v: Value | undefined): Uint8Array | null => (v === undefined ? null : encodeValue(v))
const same = (a: Uint8Array | null, b: Uint8Array | null) => (a === null || b === null ? a === b : a.length === b.length && a.every((x, i) => x === b[i]))

export class OwnEdits {
  /** Commits heard and not sorted yet, in commit order. */
  private heard: Entry[] = []
  private undos: Entry[] = []
  private redos: Entry[] = []
  private bytes = 0
  /** The writes of sync's own commits (key id → value), until their events are heard. */
  private mine: Map<string, Uint8Array | null>[] = []
  /** The newest generation heard. */
  private seen = 0

  /** The tracker heard a commit on main. Cost: O(change size) (values are encoded once, here). */
  record(e: ChangeEvent): void {
    this.seen = Math.max(this.seen, e.commit.generation)
    if (e.reset) {
      // events were lost across a change of owner: which commits were this device's is unknown,
      // so nothing before this point can be undone or redone key by key
      this.heard = []
      this.undos = []
      this.redos = []
      this.bytes = 0
      return
    }
    if (!e.changes.length) return
    let bytes = 0
    const edits = e.changes.map((c): Edit => {
      const before = enc(c.before)
      const after = enc(c.after)
      bytes += (before?.length ?? 0) + (after?.length ?? 0) + 64
      return { key: c.key, id: keyId(c.key), before, after }
    })
    this.heard.push({ generation: e.commit.generation, edits, bytes })
  }

  /** Sync made a commit that wrote exactly `writes` (a merge): not an edit of this device's. Cost: O(1). */
  made(writes: Map<string, Uint8Array | null>): void {
    if (!writes.size) return
    this.mine.push(writes)
    if (this.mine.length > MAX_MINE) this.mine.shift()
  }

  /**
   * Reverts this device's last commit on top of the head (see the note at the top); null when
   * there is none. Call only while no commit of sync's is in flight. Cost: one transaction over
   * that commit's keys.
   */
  async undo(db: SyncDatabase): Promise<UndoResult | null> {
    await this.settle(db)
    const entry = this.undos.pop()
    if (!entry) return null
    this.bytes -= entry.bytes
    const result = await this.apply(db, entry.edits, 'undo')
    this.redos.push(entry)
    return result
  }

  /** Writes back what the last undo took out (see the note at the top); null when there is nothing to redo. Cost: as undo. */
  async redo(db: SyncDatabase): Promise<UndoResult | null> {
    await this.settle(db)
    const entry = this.redos.pop()
    if (!entry) return null
    const result = await this.apply(db, entry.edits, 'redo')
    this.push(entry)
    return result
  }

  /** How many commits undo and redo can take back now (without waiting for events in flight). Cost: O(heard). */
  get depth(): { undoable: number; redoable: number } {
    this.sort()
    return { undoable: this.undos.length, redoable: this.redos.length }
  }

  /** Waits until every commit up to the head's generation is heard, then sorts them. */
  private async settle(db: SyncDatabase): Promise<void> {
    const main = (await db.branches()).find((b) => b.name === 'main')
    const want = main?.generation ?? 0
    for (let waited = 0; this.seen < want && waited < SETTLE_MS; waited += 5) await new Promise((r) => setTimeout(r, 5))
    this.sort()
  }

  /** Moves heard commits to the undo stack, leaving out sync's own; an app commit ends the redo stack. */
  private sort(): void {
    for (const e of this.heard) {
      const i = this.mine.findIndex((w) => w.size === e.edits.length && e.edits.every((x) => w.has(x.id) && same(w.get(x.id)!, x.after)))
      if (i >= 0) {
        this.mine.splice(i, 1)
        continue
      }
      this.redos = []
      this.push(e)
    }
    this.heard = []
  }

  private push(e: Entry): void {
    if (e.bytes > MAX_BYTES) {
      // too large to keep: older commits cannot be undone past it either
      this.undos = []
      this.bytes = 0
      return
    }
    this.undos.push(e)
    this.bytes += e.bytes
    while (this.undos.length > MAX_ENTRIES || this.bytes > MAX_BYTES) this.bytes -= this.undos.shift()!.bytes
  }

  /** Sets each key from one side of its edit to the other where the head still holds the first. */
  private async apply(db: SyncDatabase, edits: Edit[], how: 'undo' | 'redo'): Promise<UndoResult> {
    const writes = new Map<string, Uint8Array | null>()
    const result: UndoResult = { changed: [], kept: [] }
    await db.transaction(
      async (tx) => {
        writes.clear()
        result.changed = []
        result.kept = []
        const current = await Promise.all(edits.map((x) => tx.get(x.key)))
        edits.forEach((x, i) => {
          const [from, to] = how === 'undo' ? [x.after, x.before] : [x.before, x.after]
          if (!same(enc(current[i]), from)) return void result.kept.push(x.key)
          result.changed.push(x.key)
          writes.set(x.id, to)
          if (to === null) tx.delete(x.key)
          else tx.put(x.key, decodeValue(to))
        })
      },
      { retries: 50 },
    )
    this.made(writes)
    return result
  }
}
