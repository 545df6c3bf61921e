// The snapshot table in IndexedDB (through idb): store `head` holds the Meta minus its
// snapshots, store `snapshots` one row per snapshot. save() is ONE readwrite transaction over
// both with durability 'strict': that transaction is the atomic root switch.

import { openDB as openIdb, type IDBPDatabase } from 'idb'
import type { Meta, MetaStore, SnapshotRecord } from '@cowdb/core'

const HEAD = 'head'
const SNAPSHOTS = 'snapshots'

export class IdbMetaStore implements MetaStore {
  private saved = new Set<string>()

  private constructor(private readonly db: IDBPDatabase) {}

  /** Opens (creating if needed) the IndexedDB database `cowdb:<name>`. */
  static async open(name: string): Promise<IdbMetaStore> {
    const db = await openIdb(`cowdb:${name}`, 1, {
      upgrade(db) {
        db.createObjectStore(HEAD)
        db.createObjectStore(SNAPSHOTS, { keyPath: 'id' })
      },
    })
    return new IdbMetaStore(db)
  }

  async load(): Promise<Meta | undefined> {
    const tx = this.db.transaction([HEAD, SNAPSHOTS], 'readonly')
    const head = (await tx.objectStore(HEAD).get(HEAD)) as Omit<Meta, 'snapshots'> | undefined
    const snapshots = (await tx.objectStore(SNAPSHOTS).getAll()) as SnapshotRecord[]
    await tx.done
    if (!head) return undefined
    this.saved = new Set(snapshots.map((s) => s.id))
    return { ...head, snapshots }
  }

  /** Writes the head record, puts new snapshot rows and deletes dropped ones, atomically. */
  async save(meta: Meta): Promise<void> {
    const { snapshots, ...head } = meta
    const tx = this.db.transaction([HEAD, SNAPSHOTS], 'readwrite', { durability: 'strict' })
    const rows = tx.objectStore(SNAPSHOTS)
    const ids = new Set(snapshots.map((s) => s.id))
    const work: Promise<unknown>[] = [tx.objectStore(HEAD).put(head, HEAD)]
    // Rows are rewritten each time: a snapshot's root moves from memory to disk at a checkpoint.
    for (const s of snapshots) work.push(rows.put(s))
    for (const id of this.saved) if (!ids.has(id)) work.push(rows.delete(id))
    await Promise.all([...work, tx.done])
    this.saved = ids
  }

  async close(): Promise<void> {
    this.db.close()
  }
}
