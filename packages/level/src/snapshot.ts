// Level snapshots as cowdb snapshots. Level takes a snapshot synchronously (db.snapshot(), and one
// per iterator) while cowdb's snapshot() is a call that resolves later; the call is issued at once,
// in order with the writes issued before it, so it records exactly the state those writes made.
import { AbstractSnapshot } from 'abstract-level'
import type { CowdbDatabase } from './level.js'

/** The label of the cowdb snapshots @cowdb/level takes (they show in `snapshots()`). */
export const SNAPSHOT_LABEL = '@cowdb/level'

/** A cowdb snapshot being taken or held: its id once taken, and how to let it go. */
export type SnapshotRef = { id: Promise<string>; release: () => Promise<void> }

/** Takes a cowdb snapshot now; release() drops it. Cost: one cowdb snapshot() (a small WAL record). */
export function takeSnapshot(db: CowdbDatabase): SnapshotRef {
  const id = db.snapshot({ label: SNAPSHOT_LABEL }).then((s) => s.id)
  id.catch(() => {}) // reported where it is awaited; never an unhandled rejection
  let released: Promise<void> | undefined
  return {
    id,
    release: () => (released ??= id.then((snap) => db.dropSnapshot(snap), () => {})),
  }
}

/** An explicit Level snapshot (`db.snapshot()`): a cowdb snapshot, dropped when it closes. */
export class CowdbSnapshot extends AbstractSnapshot {
  /** @internal the cowdb snapshot behind this one */
  readonly taken: SnapshotRef

  constructor(db: CowdbDatabase, options: { owner: unknown }) {
    // abstract-level's type declarations leave out the constructor it has (options.owner)
    super(...([options] as unknown as []))
    this.taken = takeSnapshot(db)
  }

  /** @internal Drops the cowdb snapshot. Cost: one cowdb dropSnapshot() (a small WAL record). */
  async _close(): Promise<void> {
    await this.taken.release()
  }
}

/** A ref that reads at an explicit snapshot and leaves it to its owner. */
export function borrowed(snapshot: CowdbSnapshot): SnapshotRef {
  return { id: snapshot.taken.id, release: async () => {} }
}
