// The write path for batches (issue #16): keys/s beside lmdb in the same run, and the bytes of
// V8 heap a batch allocates per key, garbage included (alloc.ts). ArrayBuffer bytes (pages,
// values) are left out: V8's external-memory figure between collections proved unreliable
// (an older build showed less than its own page buffers alone).
// - bulk load: n random string keys, 100-byte values, one batch into an empty store, close;
// - random-order batches of 10,000 into a store that already holds 1,000,000 keys (half of
//   them new keys, half overwrites), each durable;
// - the bulk load again, this tree against the build of an earlier commit (`ref`: by default the
//   main before issue #16's write path), for what the leaner path changed.
// Rounds alternate between the engines, and each figure is the median.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { open as openLmdb } from 'lmdb'
import { open } from '@cowdb/node'
import { buildAt } from './ab.ts'
import { allocated } from './alloc.ts'
import { dataset, median, prng, type Row } from './measure.ts'

const tmp = () => mkdtempSync(join(tmpdir(), 'cowdb-batches-'))

type Open = (dir: string, opts?: Record<string, unknown>) => Promise<{ batch(ops: unknown[]): Promise<unknown>; close(): Promise<void> }>

/** One bulk load through `openAt`: keys/s, and the bytes it allocated per key. */
async function bulkOnce(openAt: Open, ops: unknown[]): Promise<{ perSecond: number; heap: number }> {
  const dir = tmp()
  let ms = 0
  const a = await allocated(async () => {
    const t = performance.now()
    const db = await openAt(dir, { checkpointDelayMs: 0 })
    await db.batch(ops)
    await db.close()
    ms = performance.now() - t
  })
  rmSync(dir, { recursive: true, force: true })
  return { perSecond: ops.length / (ms / 1000), heap: a.heap / ops.length }
}

export async function batchBench(root: string, n: number, big: number, rounds: number, ref: string): Promise<Row[]> {
  const { keys, value } = dataset(n)
  const ops = keys.map((key) => ({ type: 'put' as const, key, value }))
  const cow: number[] = []
  const lm: number[] = []
  const heap: number[] = []
  for (let round = 0; round < rounds; round++) {
    const b = await bulkOnce(open as Open, ops)
    cow.push(b.perSecond)
    heap.push(b.heap)
    const ldir = tmp()
    const t = performance.now()
    const l = openLmdb({ path: ldir, encoding: 'binary' })
    await l.transaction(() => {
      for (const k of keys) l.put(k, value)
    })
    await l.close()
    lm.push(n / ((performance.now() - t) / 1000))
    rmSync(ldir, { recursive: true, force: true })
  }
  const count = n.toLocaleString('en-US')
  const rows: Row[] = [
    { workload: `bulk load ${count} keys, one batch (${rounds} alternating rounds)`, unit: 'keys/s', cowdb: median(cow), peers: { lmdb: median(lm) }, higherIsBetter: true, note: `cowdb ${range(cow)}, lmdb ${range(lm)}` },
    { workload: 'V8 heap allocated per key by that batch (garbage included)', unit: 'B/key', cowdb: median(heap), peers: {}, higherIsBetter: false },
  ]
  rows.push(...(await intoBigStore(big, rounds)))
  rows.push(...(await beforeAndAfter(root, ref, ops, rounds)))
  return rows
}

/** The bulk load through this tree and through commit `ref`'s build, rounds alternating. */
async function beforeAndAfter(root: string, ref: string, ops: unknown[], rounds: number): Promise<Row[]> {
  const other = (await import(pathToFileURL(join(buildAt(root, ref), 'packages/node/dist/index.js')).href)) as { open: Open }
  const here: { perSecond: number[]; heap: number[] } = { perSecond: [], heap: [] }
  const there: typeof here = { perSecond: [], heap: [] }
  for (let round = 0; round < rounds; round++) {
    for (const [side, openAt] of round % 2 ? ([[there, other.open], [here, open]] as const) : ([[here, open], [there, other.open]] as const)) {
      const b = await bulkOnce(openAt as Open, ops)
      side.perSecond.push(b.perSecond)
      side.heap.push(b.heap)
    }
  }
  const peer = `commit ${ref}`
  return [
    { workload: `bulk load, this tree vs ${peer}`, unit: 'keys/s', cowdb: median(here.perSecond), peers: { [peer]: median(there.perSecond) }, higherIsBetter: true, note: `${range(here.perSecond)} vs ${range(there.perSecond)}` },
    { workload: `its V8 heap allocated, this tree vs ${peer}`, unit: 'B/key', cowdb: median(here.heap), peers: { [peer]: median(there.heap) }, higherIsBetter: false },
  ]
}

/** Batches of 10,000 random keys into stores of `size` keys (cowdb and lmdb, loaded alike). */
async function intoBigStore(size: number, rounds: number): Promise<Row[]> {
  const batch = 10_000
  const key = (i: number) => `k${String(i).padStart(9, '0')}`
  const value = new Uint8Array(100).fill(7)
  const dir = tmp()
  const ldir = tmp()
  const db = await open(dir, { checkpointDelayMs: 0 })
  const l = openLmdb({ path: ldir, encoding: 'binary' })
  try {
    for (let b = 0; b < size; b += 100_000) {
      const n = Math.min(100_000, size - b)
      await db.batch(Array.from({ length: n }, (_, i) => ({ type: 'put' as const, key: key((b + i) * 2), value })))
      await l.transaction(() => {
        for (let i = 0; i < n; i++) l.put(key((b + i) * 2), value)
      })
    }
    await db.checkpoint()
    const r = prng(5)
    const cow: number[] = []
    const lm: number[] = []
    const heap: number[] = []
    for (let round = 0; round < rounds; round++) {
      // even numbers are in the store, odd ones are new: half overwrites, half inserts
      const ops = Array.from({ length: batch }, () => ({ type: 'put' as const, key: key(Math.floor(r() * size * 2)), value }))
      let ms = 0
      const a = await allocated(async () => {
        const t = performance.now()
        await db.batch(ops)
        ms = performance.now() - t
      })
      cow.push(batch / (ms / 1000))
      heap.push(a.heap / batch)
      const t = performance.now()
      await l.transaction(() => {
        for (const op of ops) l.put(op.key, op.value)
      })
      lm.push(batch / ((performance.now() - t) / 1000))
    }
    const count = size.toLocaleString('en-US')
    return [
      { workload: `random-order batches of 10,000 into ${count} keys, each durable (${rounds} alternating rounds)`, unit: 'keys/s', cowdb: median(cow), peers: { lmdb: median(lm) }, higherIsBetter: true, note: `cowdb ${range(cow)}, lmdb ${range(lm)}` },
      { workload: 'V8 heap allocated per key by such a batch (each key reads and rewrites its own leaf)', unit: 'B/key', cowdb: median(heap), peers: {}, higherIsBetter: false },
    ]
  } finally {
    await db.close()
    await l.close()
    rmSync(dir, { recursive: true, force: true })
    rmSync(ldir, { recursive: true, force: true })
  }
}

const range = (xs: number[]) => `${Math.round(Math.min(...xs)).toLocaleString('en-US')}–${Math.round(Math.max(...xs)).toLocaleString('en-US')}`
