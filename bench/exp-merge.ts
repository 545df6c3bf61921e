import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from '@cowdb/node'
import { open as openLmdb } from 'lmdb'
import { prng } from './measure.ts'
import { allocated } from './alloc.ts'
const N = Number(process.argv[2] ?? 1_000_000)
const value = new Uint8Array(100).fill(7)
const key = (i: number) => 'k' + String(i).padStart(9, '0')
const dir = mkdtempSync(join(tmpdir(), 'cowdb-exp-'))
const ldir = mkdtempSync(join(tmpdir(), 'cowdb-exp-'))
const db = await open(dir, { checkpointDelayMs: 0 })
const l = openLmdb({ path: ldir, encoding: 'binary' })
for (let b = 0; b < N; b += 100_000) {
  await db.batch(Array.from({ length: 100_000 }, (_, i) => ({ type: 'put' as const, key: key((b + i) * 2), value })))
  await l.transaction(() => { for (let i = 0; i < 100_000; i++) l.put(key((b + i) * 2), value) })
}
await db.checkpoint()
console.log('loaded', N)
const r = prng(5)
for (let round = 0; round < Number(process.argv[3] ?? 4); round++) {
  const batch = Array.from({ length: 10_000 }, () => ({ type: 'put' as const, key: key(Math.floor(r() * N * 2)), value }))
  process.env.COWDB_NOSORT = round % 2 ? '1' : ''
  let ms = 0
  const a = await allocated(async () => { const t = performance.now(); await db.batch(batch); ms = performance.now() - t })
  const t2 = performance.now()
  await l.transaction(() => { for (const op of batch) l.put(op.key, op.value) })
  const lms = performance.now() - t2
  console.log(`${round % 2 ? 'unsorted' : 'sorted  '}: cowdb ${(10000 / ms * 1000).toFixed(0)} keys/s, lmdb ${(10000 / lms * 1000).toFixed(0)} keys/s (${(lms / ms).toFixed(2)}x); alloc heap ${(a.heap / 10000).toFixed(0)} ext ${(a.external / 10000).toFixed(0)} B/key`)
}
await db.close(); await l.close()
rmSync(dir, { recursive: true, force: true }); rmSync(ldir, { recursive: true, force: true })
