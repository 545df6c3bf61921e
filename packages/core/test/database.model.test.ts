// Model-based test: random operation sequences against the Database and a plain Map model that
// keeps a whole copy per snapshot. Every read must agree, at head and at every snapshot, across
// checkpoints, GC runs and reopens. Small pages make deep trees with splits, merges and overflow.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Database } from '../src/database.js'
import { MemoryStorage } from '../src/memory-store.js'
import type { Key, Range } from '../src/types.js'
import { Model, modelKey } from './model.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261124)
const RUNS = Number(process.env.COWDB_RUNS ?? 25)

const keyArb: fc.Arbitrary<Key> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 400 }) },
  { weight: 3, arbitrary: fc.string({ maxLength: 4 }) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 5 }), fc.string({ maxLength: 2 })).map((t) => [...t] as Key) },
  { weight: 1, arbitrary: fc.string({ minLength: 150, maxLength: 300 }) }, // overflows a 512-byte page's entry limit
)
const valueArb = fc.oneof(
  { weight: 8, arbitrary: fc.oneof(fc.integer(), fc.string({ maxLength: 20 }), fc.record({ a: fc.integer(), b: fc.string({ maxLength: 8 }) })) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 3000 }).map((n) => 'v'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }).map((b) => new Uint8Array(20_000).fill(b)) }, // multi-page chain
)
const rangeArb: fc.Arbitrary<Range> = fc
  .record({ lo: fc.option(keyArb, { nil: undefined }), hi: fc.option(keyArb, { nil: undefined }), loInc: fc.boolean(), hiInc: fc.boolean() })
  .map(({ lo, hi, loInc, hiInc }) => {
    const r: Range = {}
    if (lo !== undefined) r[loInc ? 'gte' : 'gt'] = lo
    if (hi !== undefined) r[hiInc ? 'lte' : 'lt'] = hi
    return r
  })

type Cmd =
  | { t: 'put'; k: Key; v: unknown }
  | { t: 'del'; k: Key }
  | { t: 'batch'; ops: ({ type: 'put'; key: Key; value: unknown } | { type: 'delete'; key: Key })[] }
  | { t: 'range'; r: Range }
  | { t: 'snap' }
  | { t: 'drop'; i: number }
  | { t: 'restore'; i: number }
  | { t: 'get'; k: Key; i: number }
  | { t: 'scan'; r: Range; limit: number; reverse: boolean; i: number }
  | { t: 'checkpoint' }
  | { t: 'gc' }
  | { t: 'compact' }
  | { t: 'reopen' }
  | { t: 'bulk'; n: number; seed: number }
  | { t: 'bigbatch'; n: number; seed: number; big: boolean }

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ t: fc.constant('put' as const), k: keyArb, v: valueArb }) },
  { weight: 10, arbitrary: fc.record({ t: fc.constant('del' as const), k: keyArb }) },
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('batch' as const),
      ops: fc.array(
        fc.oneof(
          fc.record({ type: fc.constant('put' as const), key: keyArb, value: valueArb }),
          fc.record({ type: fc.constant('delete' as const), key: keyArb }),
        ),
        { maxLength: 30 },
      ),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('bulk' as const), n: fc.integer({ min: 50, max: 400 }), seed: fc.integer() }) },
  // 256+ puts with repeated keys: into an empty tree this builds bottom-up; with `big` it commits by checkpoint
  { weight: 2, arbitrary: fc.record({ t: fc.constant('bigbatch' as const), n: fc.integer({ min: 256, max: 700 }), seed: fc.integer(), big: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('range' as const), r: rangeArb }) },
  { weight: 4, arbitrary: fc.constant({ t: 'snap' as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('drop' as const), i: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('restore' as const), i: fc.nat() }) },
  { weight: 10, arbitrary: fc.record({ t: fc.constant('get' as const), k: keyArb, i: fc.integer({ min: -1, max: 20 }) }) },
  {
    weight: 5,
    arbitrary: fc.record({ t: fc.constant('scan' as const), r: rangeArb, limit: fc.integer({ min: 0, max: 60 }), reverse: fc.boolean(), i: fc.integer({ min: -1, max: 20 }) }),
  },
  { weight: 2, arbitrary: fc.constant({ t: 'checkpoint' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'gc' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'compact' as const }) },
  { weight: 2, arbitrary: fc.constant({ t: 'reopen' as const }) },
)

const OPEN = { pageSize: 512, checkpointDelayMs: 0, walCheckpointBytes: 64 * 1024, cacheBytes: 64 * 1024, largeCommitBytes: 100_000 }

async function run(cmds: Cmd[]): Promise<void> {
  const storage = new MemoryStorage()
  let db = await Database.open(storage, OPEN)
  const model = new Model()
  const ids: string[] = []
  const pick = (i: number) => (i < 0 || ids.length === 0 ? undefined : ids[i % ids.length])
  try {
    for (const c of cmds) {
      switch (c.t) {
        case 'put':
          await db.put(c.k, c.v)
          model.put(c.k, c.v)
          break
        case 'del':
          await db.delete(c.k)
          model.delete(c.k)
          break
        case 'batch':
          await db.batch(c.ops)
          for (const op of c.ops) op.type === 'put' ? model.put(op.key, op.value) : model.delete(op.key)
          break
        case 'bulk': {
          // Un-awaited puts in one tick share a flush and an epoch.
          const ps: Promise<unknown>[] = []
          for (let j = 0; j < c.n; j++) {
            const k = ((c.seed + j * 7919) % 1000) || 0 // no -0: keys normalise it to 0
            ps.push(db.put(k, j))
            model.put(k, j)
          }
          await Promise.all(ps)
          break
        }
        case 'bigbatch': {
          const ops = Array.from({ length: c.n }, (_, j) => {
            const key = ((c.seed + j * 31) % 500) || 0
            return { type: 'put' as const, key, value: c.big && j % 50 === 0 ? 'B'.repeat(20_000) : [j, c.seed] }
          })
          if (c.seed % 3 === 0) await db.deleteRange({}) // an empty tree first
          if (c.seed % 3 === 0) model.deleteRange({})
          await db.batch(ops)
          for (const op of ops) model.put(op.key, op.value)
          break
        }
        case 'range':
          await db.deleteRange(c.r)
          model.deleteRange(c.r)
          break
        case 'snap': {
          const s = await db.snapshot()
          ids.push(s.id)
          model.snaps.set(s.id, new Map(model.head))
          break
        }
        case 'drop': {
          const id = pick(c.i)
          if (!id) break
          await db.dropSnapshot(id)
          ids.splice(ids.indexOf(id), 1)
          model.snaps.delete(id)
          break
        }
        case 'restore': {
          const id = pick(c.i)
          if (!id) break
          await db.restore(id)
          model.head = new Map(model.snaps.get(id)!)
          break
        }
        case 'get': {
          const snap = pick(c.i)
          expect(await db.get(c.k, { snapshot: snap })).toEqual(model.at(snap).get(modelKey(c.k))?.value)
          break
        }
        case 'scan': {
          const snap = pick(c.i)
          const opts = { ...c.r, limit: c.limit, reverse: c.reverse, snapshot: snap }
          expect(await db.scan(opts)).toEqual(model.scan(opts, snap))
          break
        }
        case 'checkpoint':
          await db.checkpoint()
          break
        case 'gc':
          await db.gc()
          break
        case 'compact':
          await db.compact()
          break
        case 'reopen':
          await db.close()
          db = await Database.open(storage.reopen(), OPEN)
          break
      }
    }
    // Everything agrees at the end, at head and at every snapshot, and the pages check out.
    expect(await db.scan({ limit: 1e9 })).toEqual(model.scan({ limit: 1e9 }))
    expect(await db.count()).toBe(model.head.size)
    for (const id of ids) expect(await db.scan({ limit: 1e9, snapshot: id })).toEqual(model.scan({ limit: 1e9 }, id))
    const report = await db.verify()
    expect(report.errors).toEqual([])
    await db.gc()
    expect((await db.verify()).ok).toBe(true)
    for (const id of ids) expect(await db.scan({ limit: 1e9, snapshot: id })).toEqual(model.scan({ limit: 1e9 }, id))
    await db.close()
    db = await Database.open(storage.reopen(), OPEN)
    expect(await db.scan({ limit: 1e9 })).toEqual(model.scan({ limit: 1e9 }))
  } finally {
    await db.close().catch(() => {})
  }
}

describe('Database against a Map model', () => {
  it(`agrees on every read (seed ${SEED})`, async () => {
    await fc.assert(fc.asyncProperty(fc.array(cmdArb, { minLength: 20, maxLength: 250 }), run), { seed: SEED, numRuns: RUNS, verbose: 0 })
  })
})
