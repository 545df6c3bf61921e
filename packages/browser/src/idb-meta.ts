// The snapshot table in IndexedDB (through idb), database `cowdb:<name>`: store `head` holds the
// Meta minus its snapshots (plus which page store the database uses), store `snapshots` one row
// per snapshot, and store `blocks` the pages and WAL files of the IndexedDB page store (empty
// with OPFS). A save is ONE readwrite transaction with durability 'strict': the atomic root
// switch. With the IndexedDB page store, saves go through the write-behind queue instead, so
// that they commit in order with the file chunks flushed before them.

import { openDB as openIdb, type IDBPDatabase } from 'idb'
import type { Meta, MetaStore, SnapshotRecord } from '@cowdb/core'
import type { Batch, WriteBehind } from './write-behind.js'

const HEAD = 'head'
const SNAPSHOTS = 'snapshots'
const BLOCKS = 'blocks'

/** Where a database keeps its pages: OPFS files, or chunks in this IndexedDB database. */
export type StoreKind = 'opfs' | 'indexeddb'

/** The head record: the Meta without its snapshot rows, and the page store it belongs with. */
type HeadRow = Omit<Meta, 'snapshots'> & { store?: StoreKind }

/**
 * Opens (creating if needed) the IndexedDB database `cowdb:<name>`, at version 1 as every cowdb
 * has made it (a new one gets the `blocks` store too). With `blocks`, a database without that
 * store (made by an earlier cowdb, holding no data) is upgraded to have it. Cost: one or two opens.
 */
export async function connectIdb(name: string, blocks = false): Promise<IDBPDatabase> {
  const db = await openIdb(`cowdb:${name}`, 1, {
    upgrade(db) {
      db.createObjectStore(HEAD)
      db.createObjectStore(SNAPSHOTS, { keyPath: 'id' })
      db.createObjectStore(BLOCKS)
    },
  })
  if (!blocks || db.objectStoreNames.contains(BLOCKS)) return db
  const version = db.version + 1
  db.close()
  return openIdb(`cowdb:${name}`, version, { upgrade: (up) => void up.createObjectStore(BLOCKS) })
}

/**
 * Reads the head record alone: which page store the database uses and how many snapshots it
 * lists, or undefined if there is none. Cost: one readonly transaction.
 */
export async function peekHead(db: IDBPDatabase): Promise<{ store: StoreKind; meta: HeadRow; snapshots: number } | undefined> {
  const tx = db.transaction([HEAD, SNAPSHOTS], 'readonly')
  const head = (await tx.objectStore(HEAD).get(HEAD)) as HeadRow | undefined
  const snapshots = await tx.objectStore(SNAPSHOTS).count()
  await tx.done
  return head && { store: head.store ?? 'opfs', meta: head, snapshots }
}

/** Writes one batch (file chunks, sizes, Meta rows) in one strict transaction. Cost: one transaction. */
export async function writeBatch(db: IDBPDatabase, batch: Batch): Promise<void> {
  // the OPFS store's saves touch no chunks: they leave `blocks` out (a database made by an earlier cowdb has none)
  const tx = db.transaction(batch.chunks.size ? [HEAD, SNAPSHOTS, BLOCKS] : [HEAD, SNAPSHOTS], 'readwrite', { durability: 'strict' })
  const head = tx.objectStore(HEAD)
  const work: Promise<unknown>[] = []
  if (batch.chunks.size) {
    const blocks = tx.objectStore(BLOCKS)
    for (const { file, index, bytes } of batch.chunks.values()) work.push(bytes ? blocks.put(bytes, [file, index]) : blocks.delete([file, index]))
  }
  for (const [file, size] of batch.sizes) work.push(head.put(size, `size:${file}`))
  if (batch.meta) {
    const rows = tx.objectStore(SNAPSHOTS)
    work.push(head.put(batch.meta.head, HEAD))
    for (const s of batch.meta.put) work.push(rows.put(s))
    for (const id of batch.meta.del) work.push(rows.delete(id))
  }
  await Promise.all([...work, tx.done])
}

/** Loads one file of the IndexedDB page store: its chunks and size. Cost: reads the whole file. */
export async function loadFile(db: IDBPDatabase, file: string): Promise<{ chunks: Map<number, Uint8Array>; size: number }> {
  const tx = db.transaction([HEAD, BLOCKS], 'readonly')
  const range = IDBKeyRange.bound([file, 0], [file, Infinity])
  const blocks = tx.objectStore(BLOCKS)
  const [size, keys, values] = await Promise.all([tx.objectStore(HEAD).get(`size:${file}`), blocks.getAllKeys(range), blocks.getAll(range)])
  await tx.done
  const chunks = new Map<number, Uint8Array>()
  keys.forEach((k, i) => chunks.set((k as [string, number])[1], values[i] as Uint8Array))
  return { chunks, size: (size as number | undefined) ?? 0 }
}

export class IdbMetaStore implements MetaStore {
  private saved = new Set<string>()

  /**
   * `via`: the write-behind queue of the IndexedDB page store (saves join its batches);
   * without it each save is its own transaction. `afterSave` runs after each save committed.
   */
  constructor(
    readonly db: IDBPDatabase,
    readonly kind: StoreKind,
    private readonly via?: WriteBehind,
    private readonly afterSave?: (meta: Meta) => void,
  ) {}

  /** Opens (creating if needed) the snapshot table of database `name`, for the OPFS page store. Cost: one open. */
  static async open(name: string): Promise<IdbMetaStore> {
    return new IdbMetaStore(await connectIdb(name), 'opfs')
  }

  /** The Meta, or undefined for a new database. Cost: one readonly transaction. */
  async load(): Promise<Meta | undefined> {
    const tx = this.db.transaction([HEAD, SNAPSHOTS], 'readonly')
    const head = (await tx.objectStore(HEAD).get(HEAD)) as HeadRow | undefined
    const snapshots = (await tx.objectStore(SNAPSHOTS).getAll()) as SnapshotRecord[]
    await tx.done
    if (!head) return undefined
    this.saved = new Set(snapshots.map((s) => s.id))
    const { store: _, ...meta } = head
    return { ...meta, snapshots }
  }

  /** Writes the head record, puts new snapshot rows and deletes dropped ones, atomically. Cost: one transaction. */
  async save(meta: Meta): Promise<void> {
    const { snapshots, ...head } = meta
    const ids = new Set(snapshots.map((s) => s.id))
    // Rows are rewritten each time: a snapshot's root moves from memory to disk at a checkpoint.
    const rows = { head: { ...head, store: this.kind } satisfies HeadRow, put: snapshots, del: [...this.saved].filter((id) => !ids.has(id)) }
    if (this.via) {
      const done = this.via.stageMeta(rows)
      this.saved = ids
      await done
    } else {
      await writeBatch(this.db, { chunks: new Map(), sizes: new Map(), meta: rows })
      this.saved = ids
    }
    this.afterSave?.(meta)
  }

  /** Waits for queued writes, then closes the connection. Cost: O(1). */
  async close(): Promise<void> {
    await this.via?.durable().catch(() => {})
    this.db.close()
  }
}
