import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from '@cowdb/node'
import { open as openLmdb } from 'lmdb'
import { dataset } from './measure.ts'
const n = Number(process.argv[2] ?? 100_000)
const { keys, value } = dataset(n)
const gcNow = (globalThis as any).gc as (() => void) | undefined
for (let rep = 0; rep < Number(process.argv[3] ?? 3); rep++) {
  const dir = mkdtempSync(join(tmpdir(), 'cowdb-exp-'))
  gcNow?.()
  const m0 = process.memoryUsage()
  const t = performance.now()
  const db = await open(dir, { checkpointDelayMs: 0 })
  await db.batch(keys.map((key) => ({ type: 'put' as const, key, value })))
  await db.close()
  const ms = performance.now() - t
  const m1 = process.memoryUsage()
  const ldir = mkdtempSync(join(tmpdir(), 'cowdb-exp-'))
  const t2 = performance.now()
  const l = openLmdb({ path: ldir, encoding: 'binary' })
  await l.transaction(() => { for (const k of keys) l.put(k, value) })
  await l.close()
  const lms = performance.now() - t2
  console.log(`cowdb ${(n / ms * 1000).toFixed(0)} keys/s, lmdb ${(n / lms * 1000).toFixed(0)} keys/s, ratio ${(lms / ms).toFixed(2)}; heap delta ${((m1.heapUsed - m0.heapUsed) / n).toFixed(0)} B/key`)
  rmSync(dir, { recursive: true, force: true }); rmSync(ldir, { recursive: true, force: true })
}
