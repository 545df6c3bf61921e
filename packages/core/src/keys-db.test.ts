// Key order through the whole database (issue 13, item 6): scans, range scans, counts, range
// deletes and reads after a reopen follow IndexedDB's order, checked against the spec oracle
// (test/idb-order.ts) on random keys, and Date keys work everywhere a key goes.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { anyKey, keyList } from '../test/key-arbitraries.js'
import { idbCompare } from '../test/idb-order.js'
import { Database } from './database.js'
import { MemoryStorage } from './memory-store.js'
import type { Key, Range } from './types.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261130)
const RUNS = Number(process.env.COWDB_RUNS ?? 3000)
const quiet = { checkpointDelayMs: 0 }

/** A key's exact shape and JS types, as a string (-0 reads back as 0: one key). */
function shape(k: unknown): string {
  if (typeof k === 'number') return `n${Object.is(k, -0) ? 0 : k}`
  if (typeof k === 'string') return `s${JSON.stringify(k)}`
  if (k instanceof Date) return `d${k.getTime()}`
  if (k instanceof Uint8Array) return `${k.constructor === Uint8Array ? 'b' : 'B?'}${Array.from(k).join('.')}`
  if (Array.isArray(k)) return `[${k.map(shape).join(',')}]`
  return `?${String(k)}`
}

/** The model: distinct keys (the last write of equal keys wins), sorted by the oracle. */
function model(entries: [Key, number][]): [Key, number][] {
  const out: [Key, number][] = []
  for (const [k, v] of entries) {
    const at = out.findIndex(([x]) => idbCompare(x, k) === 0)
    if (at >= 0) out[at] = [out[at]![0], v]
    else out.push([k, v])
  }
  return out.sort((a, b) => idbCompare(a[0], b[0]))
}

const inRange = (k: Key, r: Range) =>
  (r.gt === undefined || idbCompare(k, r.gt) > 0) &&
  (r.gte === undefined || idbCompare(k, r.gte) >= 0) &&
  (r.lt === undefined || idbCompare(k, r.lt) < 0) &&
  (r.lte === undefined || idbCompare(k, r.lte) <= 0)

const rows = (r: [Key, unknown][]) => r.map(([k, v]) => `${shape(k)}=${String(v)}`)

describe('issue 13 item 6: strings by UTF-16 code unit', () => {
  it("'\\u{10000}' sorts before '\\uFFFF', and a range from one to the other holds both", async () => {
    const db = await Database.open(new MemoryStorage(), quiet)
    await db.put('\uFFFF', 'ffff')
    await db.put('\u{10000}', 'astral')
    await db.put('\uE000', 'e000')
    await db.put('\uD7FF', 'd7ff')
    expect((await db.scan()).map(([k]) => k)).toEqual(['\uD7FF', '\u{10000}', '\uE000', '\uFFFF'])
    expect(await db.scan({ gte: '\u{10000}', lte: '\uFFFF' })).toEqual([
      ['\u{10000}', 'astral'],
      ['\uE000', 'e000'],
      ['\uFFFF', 'ffff'],
    ])
    expect(await db.count({ gte: '\u{10000}', lte: '\uFFFF' })).toBe(3)
    expect((await db.scan({ gte: '\u{10000}', lte: '\uFFFF', reverse: true })).map(([k]) => k)).toEqual(['\uFFFF', '\uE000', '\u{10000}'])
    await db.deleteRange({ gt: '\u{10000}', lt: '\uFFFF' })
    expect((await db.scan()).map(([k]) => k)).toEqual(['\uD7FF', '\u{10000}', '\uFFFF'])
    await db.close()
  })
})

describe('Date keys', () => {
  it('sort between numbers and strings, come back as Dates, and work in every call', async () => {
    const storage = new MemoryStorage()
    const db = await Database.open(storage, quiet)
    await db.batch([
      { type: 'put', key: 'a', value: 1 },
      { type: 'put', key: new Date(5), value: 'five' },
      { type: 'put', key: 5, value: 'number five' },
      { type: 'put', key: new Date(-8.64e15), value: 'first date' },
      { type: 'put', key: ['at', new Date(7)], value: 'in an array' },
    ])
    const keys = (await db.scan()).map(([k]) => k)
    expect(keys.map(shape)).toEqual(['n5', 'd-8640000000000000', 'd5', 's"a"', '[s"at",d7]'])
    expect(keys[1]).toBeInstanceOf(Date)
    expect(await db.get(new Date(5))).toBe('five')
    expect(await db.getMany([new Date(5), 5, ['at', new Date(7)]])).toEqual(['five', 'number five', 'in an array'])
    expect(await db.scan({ gte: new Date(0), lt: 'a' })).toEqual([[new Date(5), 'five']])
    await db.transaction(async (tx) => {
      expect(await tx.get(new Date(5))).toBe('five')
      tx.put(new Date(6), 'six')
    })
    await db.delete(new Date(5))
    await db.close()
    const again = await Database.open(storage.reopen(), quiet)
    expect((await again.scan()).map(([k]) => shape(k))).toEqual(['n5', 'd-8640000000000000', 'd6', 's"a"', '[s"at",d7]'])
    await again.close()
  })

  it('a bad key rejects its own call with a TypeError naming it, and leaves nothing behind', async () => {
    const db = await Database.open(new MemoryStorage(), quiet)
    await db.put('kept', 1)
    const calls = await Promise.allSettled([
      db.put('ok', 1),
      db.put((() => 1) as unknown as Key, 1),
      db.put(new Date(NaN), 1),
      db.batch([{ type: 'put', key: 'b', value: 1 }, { type: 'put', key: Symbol('s') as unknown as Key, value: 1 }]),
      db.get(new ArrayBuffer(1) as unknown as Key),
    ])
    expect(calls.map((c) => c.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected', 'rejected'])
    const errors = calls.flatMap((c) => (c.status === 'rejected' ? [c.reason as Error] : []))
    expect(errors.every((e) => e instanceof TypeError)).toBe(true)
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/a key must be .*; got function/),
      expect.stringMatching(/invalid Date/),
      expect.stringMatching(/a key must be .*; got symbol/),
      expect.stringMatching(/got ArrayBuffer/),
    ])
    expect((await db.scan()).map(([k]) => k)).toEqual(['kept', 'ok'])
    await db.close()
  })
})

describe(`random keys through the database follow the oracle (seed ${SEED})`, () => {
  it('scan, reverse scan, range scans and counts, before and after a reopen', async () => {
    await fc.assert(
      fc.asyncProperty(keyList(40), fc.array(fc.tuple(anyKey, fc.boolean(), anyKey, fc.boolean()), { minLength: 1, maxLength: 4 }), async (keys, bounds) => {
        const storage = new MemoryStorage()
        let db = await Database.open(storage, { ...quiet, pageSize: 512 })
        const written = keys.map((k, i) => [k, i] as [Key, number])
        await db.batch(written.slice(0, 10).map(([key, value]) => ({ type: 'put' as const, key, value })))
        for (const [key, value] of written.slice(10)) await db.put(key, value)
        const want = model(written)
        for (let round = 0; round < 2; round++) {
          expect(rows(await db.scan({ limit: 10_000 }))).toEqual(rows(want))
          expect(rows(await db.scan({ reverse: true, limit: 10_000 }))).toEqual(rows([...want].reverse()))
          for (const [lo, loOpen, hi, hiOpen] of bounds) {
            const r: Range = { ...(loOpen ? { gt: lo } : { gte: lo }), ...(hiOpen ? { lt: hi } : { lte: hi }) }
            // a bound also taken from the written keys, so that ranges often hold something
            const r2: Range = { gte: want[0]![0], ...(hiOpen ? { lt: hi } : { lte: want[want.length - 1]![0] }) }
            for (const range of [r, r2]) {
              const expected = want.filter(([k]) => inRange(k, range))
              expect(rows(await db.scan({ ...range, limit: 10_000 })), JSON.stringify(Object.entries(range).map(([b, k]) => [b, shape(k)]))).toEqual(rows(expected))
              expect(await db.count(range)).toBe(expected.length)
            }
          }
          await db.close()
          db = await Database.open(storage.reopen(), quiet)
        }
        await db.close()
      }),
      { seed: SEED, numRuns: Math.max(20, Math.round(RUNS / 15)) },
    )
  })
})
