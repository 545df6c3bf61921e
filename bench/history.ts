// Time travel at scale (issue #7): a diff between two snapshots 10 changed keys apart against a
// full scan of the store, and branch()/restore()/undo() at 10k and 1M keys (they should not grow).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from '@cowdb/node'
import { median, timeIt, type Row } from './measure.ts'

export async function historyBench(sizes: number[]): Promise<Row[]> {
  const rows: Row[] = []
  for (const n of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'cowdb-bench-'))
    const db = await open(dir, { checkpointDelayMs: 0, retention: { keepLast: 10 } })
    const value = new Uint8Array(100)
    for (let base = 0; base < n; base += 100_000) {
      await db.batch(Array.from({ length: Math.min(100_000, n - base) }, (_, i) => ({ type: 'put' as const, key: base + i, value })))
    }
    await db.checkpoint()
    const a = await db.snapshot()
    await db.batch(Array.from({ length: 10 }, (_, i) => ({ type: 'put' as const, key: Math.floor((i * n) / 10), value: new Uint8Array(100).fill(1) })))
    const b = await db.snapshot()
    const size = `${n.toLocaleString('en-US')} keys`
    let changes = 0
    const diffMs = await timeIt(5, async () => { changes = (await db.diff(a.id, b.id)).length })
    const scanMs = await timeIt(1, async () => { let c = 0; for await (const _ of db.iterate()) c++ })
    if (changes !== 10) throw new Error(`diff found ${changes} changes, not 10`)
    rows.push({ workload: `diff of 10 changed keys at ${size}`, unit: 'ms', cowdb: diffMs, peers: { 'full scan': scanMs }, higherIsBetter: false, note: `${((diffMs / scanMs) * 100).toFixed(3)}% of a full scan` })
    let i = 0
    rows.push({ workload: `branch() at ${size}`, unit: 'ms', cowdb: await timeIt(9, async () => { await db.branch(`b${i++}`) }), peers: {}, higherIsBetter: false })
    rows.push({ workload: `restore() at ${size}`, unit: 'ms', cowdb: await timeIt(9, async () => { await db.restore(a.id) }), peers: {}, higherIsBetter: false })
    rows.push({ workload: `undo() at ${size}`, unit: 'ms', cowdb: await timeIt(5, async () => { await db.undo() }), peers: {}, higherIsBetter: false })
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  }
  return rows
}

/**
 * What a subscriber costs writers: 16 concurrent writers (group commits) on a store of `n` keys,
 * with no subscriber, with one on a narrow range, and with one on every key. A subscribed head
 * ends an epoch per commit, so each commit copies its path instead of sharing the group's copy.
 */
export async function subscribeBench(n: number, rounds: number): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cowdb-bench-'))
  const db = await open(dir, { checkpointDelayMs: 0 })
  const value = new Uint8Array(100)
  await db.batch(Array.from({ length: n }, (_, i) => ({ type: 'put' as const, key: i, value })))
  await db.checkpoint()
  let next = 0
  let stamp = 0
  const run = async () => {
    const t = performance.now()
    for (let r = 0; r < rounds; r++) {
      await Promise.all(Array.from({ length: 16 }, () => db.put((next = (next * 7 + 13) % n), new Uint8Array(100).fill(++stamp & 255))))
    }
    return (rounds * 16) / ((performance.now() - t) / 1000)
  }
  let events = 0
  const times = { plain: [] as number[], narrow: [] as number[], all: [] as number[] }
  for (let rep = 0; rep < 3; rep++) {
    // interleaved, so drift on a noisy machine hits all three alike
    times.plain.push(await run())
    const offNarrow = await db.subscribe({ gte: 0, lt: 100 }, (e) => void (events += e.changes.length))
    times.narrow.push(await run())
    offNarrow()
    const offAll = await db.subscribe({}, (e) => void (events += e.changes.length))
    times.all.push(await run())
    offAll()
  }
  const [plain, narrow, all] = [median(times.plain), median(times.narrow), median(times.all)]
  await db.close()
  rmSync(dir, { recursive: true, force: true })
  const note = `${n.toLocaleString('en-US')} keys, 16 writers, ${events} events delivered`
  return [
    { workload: 'durable commits, subscriber on 100 keys', unit: 'commits/s', cowdb: narrow, peers: { 'no subscriber': plain }, higherIsBetter: true, note },
    { workload: 'durable commits, subscriber on every key', unit: 'commits/s', cowdb: all, peers: { 'no subscriber': plain }, higherIsBetter: true, note },
  ]
}
