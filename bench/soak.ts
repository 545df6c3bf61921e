// Soak: 1,000,000 overwrites of 10,000 keys in commits of 10 with `retention: { keepLast: 10 }`
// (every commit's root is kept in history until 10 newer ones exist), background GC on.
// The pages file must stop growing, and end under 3x a fresh store holding the same keys.
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from '@cowdb/node'
import { prng, type Row } from './measure.ts'

export async function soak(total: number, keys = 10_000): Promise<Row[]> {
  const value = (i: number) => new Uint8Array(100).fill(i & 255)
  const freshDir = mkdtempSync(join(tmpdir(), 'cowdb-soak-'))
  const freshDb = await open(freshDir, { checkpointDelayMs: 0 })
  await freshDb.batch(Array.from({ length: keys }, (_, k) => ({ type: 'put' as const, key: k, value: value(k) })))
  await freshDb.close()
  const freshBytes = statSync(join(freshDir, 'pages')).size
  rmSync(freshDir, { recursive: true, force: true })

  const dir = mkdtempSync(join(tmpdir(), 'cowdb-soak-'))
  const db = await open(dir, { checkpointDelayMs: 50, retention: { keepLast: 10 } })
  const r = prng(3)
  const rows: Row[] = []
  const perCommit = 10
  for (let done = 0; done < total; done += perCommit) {
    await db.batch(Array.from({ length: perCommit }, (_, j) => ({ type: 'put' as const, key: Math.floor(r() * keys), value: value(done + j) })))
    if ((done + perCommit) % (total / 10) === 0) {
      await db.checkpoint()
      const bytes = statSync(join(dir, 'pages')).size
      const st = await db.stats()
      console.log(`  soak: ${(done + perCommit).toLocaleString("en-US")} writes, pages file ${(bytes / 1024).toFixed(0)} KiB (${(bytes / freshBytes).toFixed(2)}x fresh), live ${st.pagesLive}, free ${st.pagesFree}, pending ${st.pagesPendingFree}, gc runs ${st.gcRuns}, checkpoints ${st.checkpoints}, snapshots ${st.snapshots}`)
      rows.push({ workload: `pages file after ${(done + perCommit).toLocaleString('en-US')} overwrites`, unit: 'x fresh store', cowdb: bytes / freshBytes, peers: {}, higherIsBetter: false })
    }
  }
  await db.gc()
  const end = statSync(join(dir, 'pages')).size
  rows.push({ workload: 'pages file at the end, after gc()', unit: 'x fresh store', cowdb: end / freshBytes, peers: {}, higherIsBetter: false, note: `fresh: ${(freshBytes / 1024).toFixed(0)} KiB` })
  await db.close()
  rmSync(dir, { recursive: true, force: true })
  return rows
}
