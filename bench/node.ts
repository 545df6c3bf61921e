// Node benchmarks: cowdb on files beside lmdb, same process, same data.
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open as openLmdb } from 'lmdb'
import { open } from '@cowdb/node'
import { dataset, prng, timeIt, type Row } from './measure.ts'

const dirSize = (d: string) => readdirSync(d).reduce((s, f) => s + statSync(join(d, f)).size, 0)

export async function nodeBench(n: number, quick: boolean): Promise<Row[]> {
  const reps = quick ? 1 : 3
  const { keys, value } = dataset(n)
  const rand = prng(7)
  const probes = Array.from({ length: n }, () => keys[Math.floor(rand() * n)]!)
  const sortedKeys = [...keys].sort()
  const scanFrom = sortedKeys[Math.floor(n / 3)]!
  const rows: Row[] = []
  const tmp = () => mkdtempSync(join(tmpdir(), 'cowdb-bench-'))

  // ---- bulk load: one transaction
  let cowDir = ''
  let lmDir = ''
  const cowBulk = await timeIt(reps, async () => {
    const db = await open(cowDir, { checkpointDelayMs: 0 })
    await db.batch(keys.map((k) => ({ type: 'put' as const, key: k, value })))
    await db.close()
  }, () => { if (cowDir) rmSync(cowDir, { recursive: true, force: true }); cowDir = tmp() })
  const lmBulk = await timeIt(reps, async () => {
    const db = openLmdb({ path: lmDir, encoding: 'binary' })
    await db.transaction(() => { for (const k of keys) db.put(k, value) })
    await db.close()
  }, () => { if (lmDir) rmSync(lmDir, { recursive: true, force: true }); lmDir = tmp() })
  rows.push({ workload: `bulk load ${n.toLocaleString('en-US')} keys, one transaction`, unit: 'keys/s', cowdb: n / (cowBulk / 1000), peers: { lmdb: n / (lmBulk / 1000) }, higherIsBetter: true })

  const cow = await open(cowDir, { checkpointDelayMs: 0 })
  const lm = openLmdb({ path: lmDir, encoding: 'binary' })
  rows.push({ workload: 'bytes on disk per key after load', unit: 'B/key', cowdb: dirSize(cowDir) / n, peers: { lmdb: dirSize(lmDir) / n }, higherIsBetter: false })

  // ---- random point reads
  const cowGet = await timeIt(reps, async () => { for (const k of probes) await cow.get(k) })
  const lmGet = await timeIt(reps, () => { for (const k of probes) lm.get(k) })
  rows.push({ workload: 'random point reads (awaited get)', unit: 'reads/s', cowdb: n / (cowGet / 1000), peers: { lmdb: n / (lmGet / 1000) }, higherIsBetter: true, note: 'lmdb: sync get' })

  // ---- range scan 10,000
  const cowScan = await timeIt(reps * 3, async () => { await cow.scan({ gte: scanFrom, limit: 10_000 }) })
  const lmScan = await timeIt(reps * 3, () => { let c = 0; for (const e of lm.getRange({ start: scanFrom, limit: 10_000 })) c += e.value.length })
  rows.push({ workload: 'range scan of 10,000 keys', unit: 'ms', cowdb: cowScan, peers: { lmdb: lmScan }, higherIsBetter: false })

  // ---- single durable commits
  const commits = quick ? 100 : 500
  const cowCommit = await timeIt(1, async () => { for (let i = 0; i < commits; i++) await cow.put(keys[i]!, value) })
  const lmCommit = await timeIt(1, async () => { for (let i = 0; i < commits; i++) await lm.put(keys[i]!, value) })
  rows.push({ workload: 'single-put durable commits, one at a time', unit: 'commits/s', cowdb: commits / (cowCommit / 1000), peers: { lmdb: commits / (lmCommit / 1000) }, higherIsBetter: true })
  const writers = 16
  const perWriter = quick ? 20 : 100
  const writeLoop = (put: (k: string) => Promise<unknown>) => Promise.all(Array.from({ length: writers }, async (_, w) => { for (let i = 0; i < perWriter; i++) await put(keys[w * perWriter + i]!) }))
  const cow16 = await timeIt(1, () => writeLoop((k) => cow.put(k, value)).then(() => {}))
  const lm16 = await timeIt(1, () => writeLoop((k) => lm.put(k, value)).then(() => {}))
  rows.push({ workload: '16 concurrent writers, durable commits', unit: 'commits/s', cowdb: (writers * perWriter) / (cow16 / 1000), peers: { lmdb: (writers * perWriter) / (lm16 / 1000) }, higherIsBetter: true })

  // ---- snapshot: point-in-time copy that stays readable
  const snap = await timeIt(reps * 5, async () => { await cow.snapshot() })
  rows.push({ workload: `snapshot at ${n.toLocaleString('en-US')} keys`, unit: 'ms', cowdb: snap, peers: { lmdb: 'n/a' }, higherIsBetter: false })

  // ---- write amplification: pages written per committed key (random overwrites, then checkpoint)
  const before = await cow.stats()
  const churn = quick ? 2000 : 20_000
  await cow.batch(Array.from({ length: churn }, (_, i) => ({ type: 'put' as const, key: probes[i]!, value })))
  await cow.checkpoint()
  const after = await cow.stats()
  rows.push({ workload: `pages written per key, batch of ${churn.toLocaleString('en-US')} random overwrites`, unit: 'pages/key', cowdb: (after.pagesWritten - before.pagesWritten) / churn, peers: {}, higherIsBetter: false })
  await cow.close()
  await lm.close()
  rmSync(cowDir, { recursive: true, force: true })
  rmSync(lmDir, { recursive: true, force: true })
  return rows
}

/** snapshot() time at several store sizes: it must not grow with the data. */
export async function snapshotScaling(sizes: number[]): Promise<Row[]> {
  const rows: Row[] = []
  for (const n of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'cowdb-bench-'))
    const db = await open(dir, { checkpointDelayMs: 0 })
    const value = new Uint8Array(100)
    for (let base = 0; base < n; base += 100_000) {
      await db.batch(Array.from({ length: Math.min(100_000, n - base) }, (_, i) => ({ type: 'put' as const, key: base + i, value })))
    }
    await db.checkpoint()
    const ms = await timeIt(9, async () => { await db.snapshot() })
    await db.put(-1, value)
    rows.push({ workload: `snapshot() at ${n.toLocaleString('en-US')} keys`, unit: 'ms', cowdb: ms, peers: {}, higherIsBetter: false })
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  }
  return rows
}
