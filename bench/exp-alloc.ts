import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from '@cowdb/node'
import { dataset } from './measure.ts'
import { allocated } from './alloc.ts'
const n = 100_000
const { keys, value } = dataset(n)
for (let rep = 0; rep < 3; rep++) {
  const dir = mkdtempSync(join(tmpdir(), 'cowdb-exp-'))
  const ops = keys.map((key) => ({ type: 'put' as const, key, value }))
  let ms = 0
  const a = await allocated(async () => {
    const t = performance.now()
    const db = await open(dir, { checkpointDelayMs: 0 })
    await db.batch(ops)
    await db.close()
    ms = performance.now() - t
  })
  console.log(`bulk: ${(n / ms * 1000).toFixed(0)} keys/s; allocated heap ${(a.heap / n).toFixed(0)} B/key, external ${(a.external / n).toFixed(0)} B/key`)
  rmSync(dir, { recursive: true, force: true })
}
