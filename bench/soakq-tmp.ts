import { mkdtempSync } from 'node:fs'
import { open } from '@cowdb/node'
const db = await open(mkdtempSync('/tmp/soakq-'), { checkpointDelayMs: 50 })
const kept: string[] = []
for (let c = 0; c < 400; c++) {
  await db.batch(Array.from({ length: 100 }, (_, j) => ({ type: 'put' as const, key: (c * 37 + j * 101) % 10000, value: new Uint8Array(100) })))
  if (c % 20 === 19) { kept.push((await db.snapshot()).id); if (kept.length > 3) await db.dropSnapshot(kept.shift()!) }
}
await new Promise((r) => setTimeout(r, 300))
console.log('stats', JSON.stringify(await db.stats()))
try { console.log('gc', JSON.stringify(await db.gc())) } catch (e) { console.log('gc error', e) }
console.log('stats', JSON.stringify(await db.stats()))
await db.close()
