import { mkdtempSync } from 'node:fs'
import { open } from '@cowdb/node'
import { dataset } from './measure.ts'
const n = 100_000
const { keys, value } = dataset(n)
for (let rep = 0; rep < 3; rep++) {
  const db = await open(mkdtempSync('/tmp/bulk-'), { checkpointDelayMs: 0 })
  const ops = keys.map((k) => ({ type: 'put' as const, key: k, value }))
  let t = performance.now()
  await db.batch(ops)
  const a = performance.now() - t
  t = performance.now()
  await db.close()
  console.log('batch ms', a.toFixed(0), 'close ms', (performance.now() - t).toFixed(0), 'keys/s', (n / ((a + performance.now() - t) / 1000)) | 0)
}
