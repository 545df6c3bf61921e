// Raw IndexedDB through idb, inside this worker: one object store, out-of-line string keys.
import { deleteDB, openDB, type IDBPDatabase } from 'idb'
import { hostEngine, type Engine } from './engine.ts'
import { copyStore, storageUsed } from './idb-common.ts'

function indexedDbEngine(): Engine {
  let db: IDBPDatabase
  let name: string
  let usedBefore = 0
  return {
    version: 'idb (raw IndexedDB)',
    async open(n) {
      name = n
      usedBefore = await storageUsed()
      db = await openDB(n, 1, { upgrade: (d) => { d.createObjectStore('kv'); d.createObjectStore('copy') } })
    },
    async load(keys, value) {
      const tx = db.transaction('kv', 'readwrite', { durability: 'strict' })
      for (const k of keys) void tx.store.put(value, k)
      await tx.done
    },
    async commit(key, value, durability) {
      const tx = db.transaction('kv', 'readwrite', { durability: durability === 'durable' ? 'strict' : 'relaxed' })
      void tx.store.put(value, key)
      await tx.done
    },
    get: (key) => db.get('kv', key),
    getMany(keys) {
      const tx = db.transaction('kv')
      return Promise.all(keys.map((k) => tx.store.get(k)))
    },
    scan: async (from, limit) => (await db.getAll('kv', IDBKeyRange.lowerBound(from), limit)).length,
    copy: (probe) => copyStore(db, probe),
    dropCopy: () => db.clear('copy'),
    bytes: async () => (await storageUsed()) - usedBefore,
    async drop() {
      db.close()
      await deleteDB(name)
    },
  }
}

hostEngine(indexedDbEngine)
