// cowdb's engine (core Database on OPFS files) run directly inside this worker: no client, no
// round trip per call.
import { Database, openOpfsStorage, type Storage } from '@cowdb/browser'
import { hostEngine, type Engine } from './engine.ts'

async function removeDir(name: string) {
  const root = await navigator.storage.getDirectory()
  const dir = await root.getDirectoryHandle('cowdb')
  await dir.removeEntry(name, { recursive: true })
  indexedDB.deleteDatabase(`cowdb:${name}`) // the snapshot table
}

function cowdbEngine(): Engine {
  let db: Database
  let storage: Storage
  let name: string
  let snapshotId = ''
  return {
    version: 'cowdb (workspace source)',
    async open(n) {
      name = n
      storage = await openOpfsStorage(n)
      db = await Database.open(storage)
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
      storage = await openOpfsStorage(name)
      db = await Database.open(storage)
      return ms
    },
    // every cowdb commit is durable (WAL write + flush before the promise settles)
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
    // the two OPFS files, cowdb/<name>/pages and wal (the snapshot table in IndexedDB is tiny)
    bytes: async () => storage.pages.size() + storage.wal.size(),
    async describeBytes() {
      const space = await db.space() // page slots: how much of the pages file is free for reuse
      return `pages ${storage.pages.size()} B, wal ${storage.wal.size()} B; slots ${space.slots}, reachable ${space.reachable}, free ${space.free}, pending ${space.pending}`
    },
    async drop() {
      await db.close()
      await removeDir(name)
    },
  }
}

hostEngine(cowdbEngine)
