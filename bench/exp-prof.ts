import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from '@cowdb/node'
import { dataset } from './measure.ts'
const { keys, value } = dataset(100_000)
for (let rep = 0; rep < 6; rep++) {
  const dir = mkdtempSync(join(tmpdir(), 'cowdb-exp-'))
  const t = performance.now()
  const db = await open(dir, { checkpointDelayMs: 0 })
  await db.batch(keys.map((key) => ({ type: 'put' as const, key, value })))
  await db.close()
  console.log((performance.now() - t).toFixed(0), 'ms')
  rmSync(dir, { recursive: true, force: true })
}
