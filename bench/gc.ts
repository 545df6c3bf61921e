// GC while writers run (issue #6): a full marking gc of a store of n keys, with one writer
// committing all along. gc marks 256 pages per step and yields, so the writer's longest wait
// should be a step, not the whole gc.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from '@cowdb/node'
import type { Row } from './measure.ts'

export async function gcBench(n: number): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cowdb-bench-'))
  const db = await open(dir, { checkpointDelayMs: 0 })
  const value = new Uint8Array(100)
  for (let base = 0; base < n; base += 100_000) {
    await db.batch(Array.from({ length: Math.min(100_000, n - base) }, (_, i) => ({ type: 'put' as const, key: base + i, value })))
  }
  const old = await db.snapshot()
  await db.batch(Array.from({ length: 10_000 }, (_, i) => ({ type: 'put' as const, key: (i * 7919) % n, value: new Uint8Array(100).fill(1) })))
  await db.checkpoint()
  await db.dropSnapshot(old.id)
  let running = true
  let longest = 0
  let commits = 0
  const writer = (async () => {
    while (running) {
      const t = performance.now()
      await db.put(commits++ % n, value)
      longest = Math.max(longest, performance.now() - t)
      await new Promise((r) => setImmediate(r)) // an app between commits
    }
  })()
  const t = performance.now()
  const stats = await db.gc()
  const gcMs = performance.now() - t
  running = false
  await writer
  await db.close()
  rmSync(dir, { recursive: true, force: true })
  const size = `${n.toLocaleString('en-US')} keys`
  return [
    { workload: `gc() at ${size} (${stats.pagesLive.toLocaleString('en-US')} live pages, ${stats.pagesFreed.toLocaleString('en-US')} freed)`, unit: 'ms', cowdb: gcMs, peers: {}, higherIsBetter: false },
    { workload: `longest commit wait while it ran (${commits} commits meanwhile)`, unit: 'ms', cowdb: longest, peers: { 'whole gc': gcMs }, higherIsBetter: false },
  ]
}
