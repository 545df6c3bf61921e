import { encodeKey, encodeValue, Database, MemoryStorage } from '@cowdb/core'
import { dataset } from './measure.ts'
import { allocated } from './alloc.ts'
const n = 100_000
const { keys, value } = dataset(n)
const ops = keys.map((key) => ({ type: 'put' as const, key, value }))
const per = (a: { heap: number; external: number }) => `heap ${(a.heap / n).toFixed(0)} external ${(a.external / n).toFixed(0)} B/key`
for (let r = 0; r < 2; r++) {
  console.log('encodeKey', per(await allocated(async () => { for (const k of keys) encodeKey(k) })))
  console.log('encodeValue', per(await allocated(async () => { for (const k of keys) encodeValue(value) })))
  console.log('ops objects', per(await allocated(async () => { keys.map((k) => ({ type: 'put', key: encodeKey(k), value: encodeValue(value) })) })))
  console.log('memory db batch', per(await allocated(async () => { const db = await Database.open(new MemoryStorage(), { checkpointDelayMs: 0 }); await db.batch(ops); await db.close() })))
  console.log('memory db batch, walCheckpointBytes huge, large commit off', per(await allocated(async () => { const db = await Database.open(new MemoryStorage(), { checkpointDelayMs: 0, largeCommitBytes: 1e12, walCheckpointBytes: 1e12 }); await db.batch(ops) })))
}
