// diff() against a plain Map: random writes between two snapshots on small pages (deep trees,
// shared subtrees, overflow values). The diff holds exactly the keys whose values differ, in the
// engine's key order, with the values before and after; `limit` gives the first that many.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Database } from './database.js'
import { encodeKey } from './keys.js'
import { MemoryStorage } from './memory-store.js'
import type { Op } from './types.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261201)
const RUNS = Number(process.env.COWDB_RUNS ?? 30)

const keyArb = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.string({ maxLength: 3 }))
const valueArb = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 5 }) }, { weight: 1, arbitrary: fc.integer({ min: 300, max: 3000 }).map((n) => 'v'.repeat(n)) })
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('put' as const), key: keyArb, value: valueArb }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('delete' as const), key: keyArb }) },
)
const id = (k: unknown) => JSON.stringify(k)
const cmpBytes = (a: Uint8Array, b: Uint8Array) => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

describe('diff', () => {
  it('holds exactly the keys that changed, in key order, before and after; limit gives the first that many', async () => {
    let compared = 0
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 300 }), fc.array(opArb, { minLength: 1, maxLength: 120 }), fc.nat(40), async (before, between, limit) => {
        const db = await Database.open(new MemoryStorage(), { pageSize: 512, checkpointDelayMs: 0 })
        const model = new Map<string, { key: unknown; value: unknown }>()
        const apply = (ops: Op[]) => {
          for (const o of ops) o.type === 'put' ? model.set(id(o.key), { key: o.key, value: o.value }) : model.delete(id(o.key))
        }
        if (before.length) await db.batch(before)
        apply(before)
        const a = await db.snapshot()
        const old = new Map(model)
        for (let i = 0; i < between.length; i += 7) await db.batch(between.slice(i, i + 7)) // several commits, several root copies
        apply(between)
        const b = await db.snapshot()
        const keys = new Set([...old.keys(), ...model.keys()])
        const want = [...keys]
          .flatMap((k) => {
            const x = old.get(k)
            const y = model.get(k)
            if (x && y && id(x.value) === id(y.value)) return []
            const change: { key: unknown; before?: unknown; after?: unknown } = { key: (x ?? y)!.key }
            if (x) change.before = x.value
            if (y) change.after = y.value
            return [change]
          })
          .sort((p, q) => cmpBytes(encodeKey(p.key as never), encodeKey(q.key as never)))
        const got = await db.diff(a.id, b.id)
        expect(got).toEqual(want)
        expect(await db.diff(a.id)).toEqual(want) // to the head, which is b
        expect(await db.diff(a.id, b.id, { limit })).toEqual(want.slice(0, limit))
        expect(await db.onBranch('main').diff(a.id, b.id, { limit })).toEqual(want.slice(0, limit))
        compared += got.length
        await db.close()
      }),
      { seed: SEED, numRuns: RUNS },
    )
    expect(compared).toBeGreaterThan(RUNS * 2) // the diffs were not empty
  })

  it('a bad limit is a TypeError and the database stays usable', async () => {
    const db = await Database.open(new MemoryStorage(), { checkpointDelayMs: 0 })
    await db.put('a', 1)
    const s = await db.snapshot()
    await db.put('a', 2)
    for (const limit of [-1, Number.NaN, '3']) await expect(db.diff(s.id, undefined, { limit } as never)).rejects.toThrow(TypeError)
    expect(await db.diff(s.id, undefined, { limit: 0 })).toEqual([])
    expect(await db.diff(s.id)).toEqual([{ key: 'a', before: 1, after: 2 }])
    await db.close()
  })
})
