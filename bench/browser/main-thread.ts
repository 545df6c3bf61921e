// The main-thread half of the browser benchmark: cowdb's client (openDB, a worker + OPFS) beside
// raw IndexedDB through idb, both called from the page's main thread, on the same data.
import { openDB as openIdb, type IDBPDatabase } from 'idb'
import { openDB } from '@cowdb/browser'
import { roundTrips } from './round-trip.ts'
import { dataset, median, prng, timeIt, type Row } from '../measure.ts'

let seq = 0
const fresh = (p: string) => `${p}-${Date.now()}-${seq++}`

async function idbOpen(name: string): Promise<IDBPDatabase> {
  return openIdb(name, 1, { upgrade: (db) => { db.createObjectStore('kv'); db.createObjectStore('copy') } })
}

async function bulkIdb(db: IDBPDatabase, keys: string[], value: Uint8Array) {
  const tx = db.transaction('kv', 'readwrite')
  for (const k of keys) void tx.store.put(value, k)
  await tx.done
}


export async function mainThreadBench(n: number, reads: number, reps: number): Promise<Row[]> {
  const { keys, value } = dataset(n)
  const r = prng(9)
  const probes = Array.from({ length: reads }, () => keys[Math.floor(r() * n)]!)
  const scanFrom = [...keys].sort()[Math.floor(n / 3)]!
  const rows: Row[] = []
  const per = (count: number, ms: number) => count / (ms / 1000)

  // bulk load in one transaction
  const cowBulk: number[] = []
  const idbBulk: number[] = []
  for (let i = 0; i < reps; i++) {
    const c = await openDB(fresh('bulk'))
    let t = performance.now()
    await c.batch(keys.map((k) => ({ type: 'put' as const, key: k, value })))
    cowBulk.push(performance.now() - t)
    await c.close()
    const d = await idbOpen(fresh('bulk'))
    t = performance.now()
    await bulkIdb(d, keys, value)
    idbBulk.push(performance.now() - t)
    d.close()
  }
  rows.push({ workload: `bulk load ${n.toLocaleString('en-US')} keys, one transaction`, unit: 'keys/s', cowdb: per(n, median(cowBulk)), peers: { IndexedDB: per(n, median(idbBulk)) }, higherIsBetter: true })

  // the stores the read workloads use
  const cow = await openDB(fresh('cow'))
  await cow.batch(keys.map((k) => ({ type: 'put' as const, key: k, value })))
  await cow.checkpoint()
  const idb = await idbOpen(fresh('idb'))
  await bulkIdb(idb, keys, value)

  const cowGets = await timeIt(reps, async () => { for (const k of probes) await cow.get(k) })
  const idbGets = await timeIt(reps, async () => { for (const k of probes) await idb.get('kv', k) })
  const trips = await roundTrips(Math.min(reads, 10_000))
  rows.push({ workload: `${reads.toLocaleString('en-US')} random reads awaited one by one (main thread)`, unit: 'reads/s', cowdb: per(reads, cowGets), peers: { IndexedDB: per(reads, idbGets), 'postMessage round trip': trips.postMessage }, higherIsBetter: true })


  const cowMany = await timeIt(reps, async () => { await cow.getMany(probes) })
  const idbMany = await timeIt(reps, async () => { const tx = idb.transaction('kv'); await Promise.all(probes.map((k) => tx.store.get(k))) })
  rows.push({ workload: `${reads.toLocaleString('en-US')} random reads batched (getMany / one transaction)`, unit: 'reads/s', cowdb: per(reads, cowMany), peers: { IndexedDB: per(reads, idbMany) }, higherIsBetter: true })

  const cowScan = await timeIt(reps * 3, async () => { await cow.scan({ gte: scanFrom, limit: 10_000 }) })
  const idbScan = await timeIt(reps * 3, async () => { await idb.getAll('kv', IDBKeyRange.lowerBound(scanFrom), 10_000) })
  rows.push({ workload: 'range scan of 10,000 keys', unit: 'ms', cowdb: cowScan, peers: { IndexedDB: idbScan }, higherIsBetter: false })

  // single durable commits, one at a time
  const commits = Math.min(1000, n)
  const cowCommit = await timeIt(1, async () => { for (let i = 0; i < commits; i++) await cow.put(keys[i]!, value) })
  const idbStrict = await timeIt(1, async () => { for (let i = 0; i < commits; i++) { const tx = idb.transaction('kv', 'readwrite', { durability: 'strict' }); void tx.store.put(value, keys[i]!); await tx.done } })
  const idbRelaxed = await timeIt(1, async () => { for (let i = 0; i < commits; i++) { const tx = idb.transaction('kv', 'readwrite', { durability: 'relaxed' }); void tx.store.put(value, keys[i]!); await tx.done } })
  rows.push({ workload: `${commits.toLocaleString('en-US')} single-put durable commits`, unit: 'commits/s', cowdb: per(commits, cowCommit), peers: { IndexedDB: per(commits, idbStrict), 'IndexedDB relaxed': per(commits, idbRelaxed) }, higherIsBetter: true, note: 'IndexedDB strict durability' })

  // a point-in-time copy that stays readable while writes go on
  const cowSnap = await timeIt(reps * 3, async () => { await cow.snapshot() })
  const idbCopy = await timeIt(1, async () => {
    const all = await idb.getAll('kv')
    const allKeys = await idb.getAllKeys('kv')
    const tx = idb.transaction('copy', 'readwrite')
    allKeys.forEach((k, i) => void tx.store.put(all[i], k))
    await tx.done
  })
  rows.push({ workload: `point-in-time copy of ${n.toLocaleString('en-US')} keys`, unit: 'ms', cowdb: cowSnap, peers: { IndexedDB: idbCopy }, higherIsBetter: false, note: 'cowdb snapshot(); IndexedDB copies the store' })

  await cow.close()
  idb.close()
  return rows
}
