import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from '@cowdb/node'
import { dataset } from './measure.ts'
const { keys, value } = dataset(100_000)
const ops = keys.map((key) => ({ type: 'put' as const, key, value }))
for (let rep = 0; rep < 3; rep++) {
  const dir = mkdtempSync(join(tmpdir(), 'cowdb-exp-'))
  const db = await open(dir, { checkpointDelayMs: 0 })
  await db.batch(ops)
  await db.close()
  rmSync(dir, { recursive: true, force: true })
}
