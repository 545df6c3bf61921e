// Dexie 4 inside this worker: a table with out-of-line string keys ('' schema), bulk calls.
import Dexie, { type Table } from 'dexie'
import { hostEngine, type Engine } from './engine.ts'
import { storageUsed } from './idb-common.ts'

type KvDb = Dexie & { kv: Table<Uint8Array, string>; copy: Table<Uint8Array, string> }

function dexieEngine(): Engine {
  // two handles on one database: Dexie sets durability per database, not per transaction
  let strict: KvDb
  let relaxed: KvDb
  let usedBefore = 0
  const openDexie = async (name: string, durability: 'strict' | 'relaxed') => {
    const db = new Dexie(name, { chromeTransactionDurability: durability }) as KvDb
    db.version(1).stores({ kv: '', copy: '' })
    await db.open()
    return db
  }
  return {
    version: `dexie ${Dexie.semVer}`,
    async open(name) {
      usedBefore = await storageUsed()
      strict = await openDexie(name, 'strict')
      relaxed = await openDexie(name, 'relaxed')
    },
    async load(keys, value) {
      await strict.kv.bulkPut(keys.map(() => value), keys)
    },
    commit: async (key, value, durability) => void (await (durability === 'durable' ? strict : relaxed).kv.put(value, key)),
    get: (key) => strict.kv.get(key),
    getMany: (keys) => strict.kv.bulkGet(keys),
    scan: async (from, limit) => (await strict.kv.where(':id').aboveOrEqual(from).limit(limit).toArray()).length,
    async copy(probe) {
      await strict.transaction('rw', strict.kv, strict.copy, async () => {
        const [keys, values] = await Promise.all([strict.kv.toCollection().primaryKeys(), strict.kv.toArray()])
        await strict.copy.bulkPut(values, keys)
      })
      if ((await strict.copy.get(probe)) === undefined) throw new Error('copy unreadable')
    },
    dropCopy: () => strict.copy.clear(),
    bytes: async () => (await storageUsed()) - usedBefore,
    async drop() {
      relaxed.close()
      await strict.delete()
    },
  }
}

hostEngine(dexieEngine)
