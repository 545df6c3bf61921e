import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from '@cowdb/node'
import { dataset, prng } from './measure.ts'
const size = (d: string, f: string) => { try { return statSync(join(d, f)).size } catch { return 0 } }
const { keys, value } = dataset(100_000)
const dir = mkdtempSync(join(tmpdir(), 'cowdb-exp-'))
const db = await open(dir)
let t = performance.now()
await db.batch(keys.map((key) => ({ type: 'put' as const, key, value })))
console.log('load ms', (performance.now() - t).toFixed(0))
await db.checkpoint()
const loaded = size(dir, 'pages') + size(dir, 'wal')
console.log('after load B/key', (loaded / keys.length).toFixed(1))
const r = prng(17)
const half = keys.filter(() => r() < 0.5)
t = performance.now()
for (let i = 0; i < half.length; i += 1000) await db.batch(half.slice(i, i + 1000).map((key) => ({ type: 'put' as const, key, value })))
console.log('churn ms', (performance.now() - t).toFixed(0), 'B/key right after', ((size(dir, 'pages') + size(dir, 'wal')) / keys.length).toFixed(1), JSON.stringify(await db.stats()).slice(0, 300))
for (let s = 0; s < 10; s++) {
  await new Promise((res) => setTimeout(res, 1000))
  const st = await db.stats()
  console.log(`+${s + 1}s: B/key ${((size(dir, 'pages') + size(dir, 'wal')) / keys.length).toFixed(1)} (${((size(dir, 'pages') + size(dir, 'wal')) / loaded).toFixed(2)}x load) pages ${size(dir, 'pages')} wal ${size(dir, 'wal')} live ${st.pagesLive} free ${st.pagesFree} ckpts ${st.checkpoints} compactions ${(db as any).space_.compactions}`)
}
t = performance.now()
await db.close()
console.log('close ms', (performance.now() - t).toFixed(1))
rmSync(dir, { recursive: true, force: true })
