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
    return { pages: s.fileBytes, wal: s.walBytes }
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
    // every cowdb commit is durable (WAL write + flush, or its IndexedDB batch, before the promise settles)
    commit: async (key, value) => void (await db.put(key, value)),
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
