// Space as a user sees it: the directory (pages + WAL + Meta files), with no manual call.
// - soak: 1,000,000 overwrites of 10,000 keys in commits of 10 with `retention: { keepLast: 10 }`
//   (every commit's root kept until 10 newer exist); the directory is sampled every 1,000 writes
//   (the peak) and printed every tenth of the run (the curve); target: at most 2x a fresh store
//   of the same keys, flat;
// - small store: 2,000 keys, 200,000 overwrites in batches of 100, `keepLast: 5`, then close(),
//   with 4 KiB pages and with 1 KiB ones; target: at most 3x a fresh store. Its floor is printed
//   too: the pages the five retained states need (with 4 KiB pages, each batch of 100 random
//   keys rewrites most of the ~65 leaves, so each retained state has most leaves of its own).
// Both write in a tight `await` loop, which starves timers: only the pacing in the commit path
// (pacing.ts) and the background gc it triggers run, not the quiet-time compaction.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from '@cowdb/node'
import { prng, type Row } from './measure.ts'

/** Bytes of the store's files (pages, wal, meta-a, meta-b; not the lock). */
function dirBytes(dir: string): number {
  return readdirSync(dir).filter((f) => f !== 'LOCK').reduce((t, f) => t + statSync(join(dir, f)).size, 0)
}

const value = (i: number) => new Uint8Array(100).fill(i & 255)
const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`

/** The directory of a fresh store holding `keys` keys (one batch, then close). */
async function freshBytes(keys: number, pageSize?: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'cowdb-soak-'))
  const db = await open(dir, { checkpointDelayMs: 0, pageSize })
  await db.batch(Array.from({ length: keys }, (_, k) => ({ type: 'put' as const, key: k, value: value(k) })))
  await db.close()
  const bytes = dirBytes(dir)
  rmSync(dir, { recursive: true, force: true })
  return bytes
}

export async function soak(total: number, keys = 10_000): Promise<Row[]> {
  const fresh = await freshBytes(keys)
  const dir = mkdtempSync(join(tmpdir(), 'cowdb-soak-'))
  const db = await open(dir, { retention: { keepLast: 10 } })
  const r = prng(3)
  const rows: Row[] = []
  const perCommit = 10
  let peak = 0
  const started = performance.now()
  for (let done = 0; done < total; done += perCommit) {
    await db.batch(Array.from({ length: perCommit }, (_, j) => ({ type: 'put' as const, key: Math.floor(r() * keys), value: value(done + j) })))
    if ((done + perCommit) % 1000 === 0) peak = Math.max(peak, dirBytes(dir))
    if ((done + perCommit) % (total / 10) === 0) {
      const bytes = dirBytes(dir)
      const st = await db.stats()
      console.log(`  soak: ${(done + perCommit).toLocaleString('en-US')} writes, directory ${kib(bytes)} (${(bytes / fresh).toFixed(2)}x fresh; peak so far ${(peak / fresh).toFixed(2)}x), WAL ${kib(st.walBytes)}, live ${st.pagesLive}, free ${st.pagesFree}, in deadlists ${st.pagesInDeadlists}, checkpoints ${st.checkpoints}, gc runs ${st.gcRuns}, ${((performance.now() - started) / 1000).toFixed(0)} s`)
      rows.push({ workload: `directory after ${(done + perCommit).toLocaleString('en-US')} overwrites`, unit: 'x fresh store', cowdb: bytes / fresh, peers: {}, higherIsBetter: false, note: `peak so far ${(peak / fresh).toFixed(2)}x` })
    }
  }
  const st = await db.stats()
  const t = performance.now()
  await db.close()
  const closeMs = performance.now() - t
  rows.push({ workload: 'directory after close()', unit: 'x fresh store', cowdb: dirBytes(dir) / fresh, peers: {}, higherIsBetter: false, note: `fresh: ${kib(fresh)}; ${st.checkpoints} checkpoints, ${st.gcRuns} gc runs, ${((performance.now() - started) / 1000).toFixed(0)} s in all` })
  rows.push({ workload: 'close()', unit: 'ms', cowdb: closeMs, peers: {}, higherIsBetter: false })
  rmSync(dir, { recursive: true, force: true })
  return rows
}

/**
 * The small store of issue #16: 2,000 keys, 200,000 overwrites in batches of 100, keepLast 5,
 * close(); with the default 4 KiB pages, or `pageSize`.
 */
export async function smallStore(keys = 2_000, total = 200_000, perBatch = 100, pageSize?: number): Promise<Row[]> {
  const fresh = await freshBytes(keys, pageSize)
  const dir = mkdtempSync(join(tmpdir(), 'cowdb-small-'))
  const db = await open(dir, { retention: { keepLast: 5 }, pageSize })
  const r = prng(4)
  let peak = 0
  for (let done = 0; done < total; done += perBatch) {
    await db.batch(Array.from({ length: perBatch }, (_, j) => ({ type: 'put' as const, key: Math.floor(r() * keys), value: value(done + j) })))
    if ((done + perBatch) % 10_000 === 0) peak = Math.max(peak, dirBytes(dir))
  }
  const t = performance.now()
  await db.close()
  const closeMs = performance.now() - t
  const closed = dirBytes(dir)
  // the floor: what the retained states reach (the five history entries and the head)
  const again = await open(dir)
  const { reachable } = await again.space()
  const slotBytes = (await again.stats()).pageSize
  await again.close()
  rmSync(dir, { recursive: true, force: true })
  const pages = `${(pageSize ?? 4096) / 1024} KiB pages`
  console.log(`  small store (${pages}): fresh ${kib(fresh)}, after close ${kib(closed)} (${(closed / fresh).toFixed(2)}x), peak ${(peak / fresh).toFixed(2)}x, the retained states' pages ${kib(reachable * slotBytes)} (${((reachable * slotBytes) / fresh).toFixed(2)}x), close() ${closeMs.toFixed(1)} ms`)
  return [
    { workload: `${pages}: directory after ${total.toLocaleString('en-US')} overwrites of ${keys.toLocaleString('en-US')} keys (batches of ${perBatch}, keepLast 5) and close()`, unit: 'x fresh store', cowdb: closed / fresh, peers: {}, higherIsBetter: false, note: `fresh: ${kib(fresh)}; peak ${(peak / fresh).toFixed(2)}x` },
    { workload: `${pages}: pages the five retained states and the head reach (the floor)`, unit: 'x fresh store', cowdb: (reachable * slotBytes) / fresh, peers: {}, higherIsBetter: false },
    { workload: `${pages}: close()`, unit: 'ms', cowdb: closeMs, peers: {}, higherIsBetter: false },
  ]
}
