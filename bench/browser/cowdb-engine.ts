// cowdb's engine run directly inside a bench worker (no client, no round trip per call), on the
// page store given: OPFS sync access handles, or the IndexedDB fallback (openEngine, as the
// worker runs it, so a write is timed until it is durable in IndexedDB).
import { deleteDB, openEngine, type Database } from '@cowdb/browser'
import type { Engine } from './engine.ts'

/** The bench Engine over cowdb with page store `store`. */
export function cowdbEngine(store: 'opfs' | 'indexeddb'): Engine {
  let db: Database
  let name: string
  let snapshotId = ''
  const files = async () => {
    const s = await db.stats()
    return { pages: s.fileBytes, wal: s.walFileBytes } // the WAL file, not only its records
  }
  return {
    version: store === 'opfs' ? 'cowdb (workspace source)' : 'cowdb, IndexedDB page store (workspace source)',
    async open(n) {
      name = n
      db = await openEngine(n, { store })
    },
    async load(keys, value) {
      await db.batch(keys.map((key) => ({ type: 'put' as const, key, value })))
    },
    settle: () => db.checkpoint(),
    compact: async () => void (await db.compact()),
    async closeAndReopen() {
      const t = performance.now()
      await db.close()
      const ms = performance.now() - t
      db = await openEngine(name, { store })
      return ms
    },
    // durable: the WAL write + flush (or its IndexedDB batch) before the promise settles; relaxed:
    // settles before the flush, which follows within relaxedFlushMs (100 ms)
    commit: async (key, value, durability) => void (await db.put(key, value, durability === 'relaxed' ? { durability: 'relaxed' } : undefined)),
    get: (key) => db.get(key),
    getMany: (keys) => db.getMany(keys),
    scan: async (from, limit) => (await db.scan({ gte: from, limit })).length,
    async copy(probe) {
      const snap = await db.snapshot()
      if ((await db.get(probe, { snapshot: snap.id })) === undefined) throw new Error('snapshot unreadable')
      snapshotId = snap.id
    },
    dropCopy: () => db.dropSnapshot(snapshotId),
    // the pages and WAL files (OPFS files, or their chunks in IndexedDB); the snapshot table is tiny
    bytes: async () => {
      const f = await files()
      return f.pages + f.wal
    },
    async describeBytes() {
      const space = await db.space() // page slots: how much of the pages file is free for reuse
      const f = await files()
      return `${store}: pages ${f.pages} B, wal ${f.wal} B; slots ${space.slots}, reachable ${space.reachable}, free ${space.free}, pending ${space.pending}`
    },
    async drop() {
      await db.close()
      await deleteDB(name)
    },
  }
}
