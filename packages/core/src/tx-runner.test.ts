// iterateChunks and runTransaction over a host. The host is the real engine (on memory storage)
// behind an adapter that counts what it is asked, so the tests see what a remote host (the
// browser client) would send: one scan per chunk, every reader closed on every way out.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Database } from './database.js'
import { ConflictError, SnapshotNotFoundError } from './errors.js'
import { MemoryStorage } from './memory-store.js'
import { ITERATE_CHUNK, iterateChunks, runTransaction, type TxHost } from './tx-runner.js'
import type { Key, Range, ScanOptions, Value } from './types.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261201)
const RUNS = Number(process.env.COWDB_RUNS ?? 60)

/** The engine as a host, with a log of calls and the readers still open. */
function hostOf(db: Database) {
  const open = new Set<number>()
  const calls: string[] = []
  const host: TxHost = {
    openReader: (o) => {
      calls.push('openReader')
      const r = db.openReader(o)
      open.add(r.reader)
      return r
    },
    closeReader: (r) => {
      calls.push('closeReader')
      open.delete(r)
      db.closeReader(r)
    },
    scan: (r) => (calls.push('scan'), db.scan(r)),
    get: (k, o) => (calls.push('get'), db.get(k, o)),
    commitPlan: (p, o) => (calls.push('commitPlan'), db.commitPlan(p, o)),
  }
  return { host, open, calls }
}

async function collect(it: AsyncIterable<[Key, Value]>, stopAfter = Infinity): Promise<[Key, Value][]> {
  const out: [Key, Value][] = []
  for await (const e of it) {
    out.push(e)
    if (out.length >= stopAfter) break
  }
  return out
}

describe('iterateChunks', () => {
  it('equals a model for random ranges, limits, directions and early stops, and closes every reader', async () => {
    const db = await Database.open(new MemoryStorage(), { checkpointDelayMs: 0 })
    const n = 700 // a few chunks
    const model = Array.from({ length: n }, (_, i) => i * 2) // even numbers as keys, value = key
    await db.batch(model.map((k) => ({ type: 'put', key: k, value: k })))
    const { host, open, calls } = hostOf(db)
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          lo: fc.option(fc.integer({ min: -5, max: 2 * n + 5 }), { nil: undefined }),
          hi: fc.option(fc.integer({ min: -5, max: 2 * n + 5 }), { nil: undefined }),
          loInc: fc.boolean(),
          hiInc: fc.boolean(),
          limit: fc.option(fc.integer({ min: 0, max: 900 }), { nil: undefined }),
          reverse: fc.boolean(),
          stopAfter: fc.option(fc.integer({ min: 1, max: 800 }), { nil: undefined }),
        }),
        async (c) => {
          const range: Range & ScanOptions = { reverse: c.reverse }
          if (c.lo !== undefined) range[c.loInc ? 'gte' : 'gt'] = c.lo
          if (c.hi !== undefined) range[c.hiInc ? 'lte' : 'lt'] = c.hi
          if (c.limit !== undefined) range.limit = c.limit
          let want = model.filter(
            (k) => (c.lo === undefined || (c.loInc ? k >= c.lo : k > c.lo)) && (c.hi === undefined || (c.hiInc ? k <= c.hi : k < c.hi)),
          )
          if (c.reverse) want = want.reverse()
          want = want.slice(0, Math.min(c.limit ?? Infinity, c.stopAfter ?? Infinity))
          calls.length = 0
          const got = await collect(iterateChunks(host, range), c.stopAfter)
          expect(got).toEqual(want.map((k) => [k, k]))
          expect(open.size).toBe(0)
          // one scan per chunk, never a chunk over the limit
          expect(calls.filter((x) => x === 'scan').length).toBeLessThanOrEqual(Math.ceil((want.length + 1) / ITERATE_CHUNK) + 1)
        },
      ),
      { seed: SEED, numRuns: RUNS },
    )
    await db.close()
  })

  it('reads the state it began on while commits go on, and a snapshot pinned even if it is dropped meanwhile', async () => {
    const db = await Database.open(new MemoryStorage(), { checkpointDelayMs: 0 })
    await db.batch(Array.from({ length: 600 }, (_, i) => ({ type: 'put', key: i, value: 'old' })))
    const snap = await db.snapshot()
    const { host, open, calls } = hostOf(db)
    const seen: Value[] = []
    for await (const [k, v] of iterateChunks(host, {})) {
      seen.push(v)
      if (k === 0) await db.batch(Array.from({ length: 600 }, (_, i) => ({ type: 'put', key: i, value: 'new' })))
    }
    expect(seen).toEqual(Array(600).fill('old'))
    calls.length = 0
    const atSnap: Value[] = []
    for await (const [k, v] of iterateChunks(host, { snapshot: snap.id })) {
      atSnap.push(v)
      if (k === 0) await db.dropSnapshot(snap.id) // the pin keeps its pages: the loop goes on
    }
    expect(atSnap).toEqual(Array(600).fill('old'))
    expect(calls.includes('openReader')).toBe(true)
    await expect(collect(iterateChunks(host, { snapshot: snap.id }))).rejects.toBeInstanceOf(SnapshotNotFoundError)
    expect(open.size).toBe(0)
    await db.close()
  })

  it('rejects a bad limit before pinning anything', async () => {
    const db = await Database.open(new MemoryStorage(), { checkpointDelayMs: 0 })
    const { host, calls } = hostOf(db)
    await expect(collect(iterateChunks(host, { limit: -1 }))).rejects.toBeInstanceOf(TypeError)
    await expect(collect(iterateChunks(host, null as never))).rejects.toBeInstanceOf(TypeError)
    expect(calls).toEqual([])
    await db.close()
  })
})

describe('runTransaction', () => {
  it('retries a conflicting body up to `retries` times, then throws ConflictError; readers always closed', async () => {
    const db = await Database.open(new MemoryStorage(), { checkpointDelayMs: 0 })
    await db.put('n', 0)
    const { host, open } = hostOf(db)
    for (const retries of [0, 1, 3]) {
      let runs = 0
      const err = await runTransaction(
        host,
        async (tx) => {
          runs++
          const n = (await tx.get('n')) as number
          await db.put('n', n + 100) // someone else writes what it read, every time
          tx.put('n', n + 1)
        },
        { retries },
      ).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ConflictError)
      expect(runs).toBe(retries + 1)
      expect(open.size).toBe(0)
    }
    await db.close()
  })

  it('commits once the body sees no conflict; an error in the body commits nothing and is thrown as is', async () => {
    const db = await Database.open(new MemoryStorage(), { checkpointDelayMs: 0 })
    await db.put('n', 1)
    const { host, open, calls } = hostOf(db)
    let runs = 0
    const out = await runTransaction(host, async (tx) => {
      runs++
      const n = (await tx.get('n')) as number
      if (runs === 1) await db.put('n', 10)
      tx.put('n', n + 1)
      return n
    })
    expect([out, runs, await db.get('n')]).toEqual([10, 2, 11])
    // a ConflictError inside the body (a read whose pinned state is gone) runs it again too
    let tries = 0
    await runTransaction(host, async (tx) => {
      if (++tries === 1) throw new ConflictError('pinned state gone')
      tx.put('m', tries)
    })
    expect([tries, await db.get('m')]).toEqual([2, 2])
    const boom = new RangeError('mine')
    await expect(runTransaction(host, async (tx) => { tx.put('n', 99); throw boom })).rejects.toBe(boom)
    expect(await db.get('n')).toBe(11)
    // a read-only body never commits
    calls.length = 0
    await runTransaction(host, async (tx) => void (await tx.scan({})))
    expect(calls.includes('commitPlan')).toBe(false)
    expect(open.size).toBe(0)
    await db.close()
  })

  it('rejects bad arguments with TypeError before opening a reader', async () => {
    const db = await Database.open(new MemoryStorage(), { checkpointDelayMs: 0 })
    const { host, calls } = hostOf(db)
    await expect(runTransaction(host, 'no' as never)).rejects.toBeInstanceOf(TypeError)
    await expect(runTransaction(host, async () => 1, { retries: -1 })).rejects.toBeInstanceOf(TypeError)
    await expect(runTransaction(host, async () => 1, { retries: 1.5 })).rejects.toBeInstanceOf(TypeError)
    expect(calls).toEqual([])
    await db.close()
  })
})
