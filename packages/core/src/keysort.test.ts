// The sort of encoded keys against the platform's stable sort with a byte comparator:
// same order, equal keys in input order, and with lastOfEach only the last of each equal run. Random byte strings built to share prefixes, end at
// every depth and repeat (small alphabets), and encoded keys of every type (IndexedDB order,
// whose byte order keys.test.ts checks against the spec). Fixed seed (COWDB_SEED overrides).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { anyKey } from '../test/key-arbitraries.js'
import { compareKeys, encodeKey } from './keys.js'
import { sortedOrder } from './keysort.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261130)
const RUNS = Number(process.env.COWDB_RUNS ?? 300)

/** The oracle: Array.prototype.sort is stable, and compareKeys is byte order. */
const expected = (keys: Uint8Array[]) => keys.map((_, i) => i).sort((a, b) => compareKeys(keys[a]!, keys[b]!))

/** Byte strings over a small alphabet (many shared prefixes and duplicates), of any length up to 40. */
const bytes = fc.array(fc.constantFrom(0, 1, 2, 0x7f, 0xff), { maxLength: 40 }).map((b) => Uint8Array.from(b))

/** The oracle with lastOfEach: the stable order, keeping only the last of each run of equal keys. */
const lastOfEach = (keys: Uint8Array[]) => expected(keys).filter((k, i, all) => i === all.length - 1 || compareKeys(keys[k]!, keys[all[i + 1]!]!) !== 0)

describe(`sortedOrder (seed ${SEED})`, () => {
  it('orders byte strings as a stable byte comparison does', () => {
    fc.assert(
      fc.property(fc.array(bytes, { maxLength: 400, size: 'max' }), (keys) => {
        expect([...sortedOrder(keys)]).toEqual(expected(keys))
        expect([...sortedOrder(keys, true)]).toEqual(lastOfEach(keys))
      }),
      { seed: SEED, numRuns: RUNS },
    )
  })

  it('orders encoded keys of every type, already sorted or not', () => {
    fc.assert(
      fc.property(fc.array(anyKey, { maxLength: 300, size: 'max' }), fc.boolean(), (raw, presorted) => {
        const keys = raw.map((k) => encodeKey(k))
        if (presorted) keys.sort(compareKeys)
        expect([...sortedOrder(keys)]).toEqual(expected(keys))
        expect([...sortedOrder(keys, true)]).toEqual(lastOfEach(keys))
      }),
      { seed: SEED, numRuns: RUNS },
    )
  })

  it('sorts long shared prefixes (many rounds) and a million keys (the widest index) the same way', () => {
    const shared = Array.from({ length: 5000 }, (_, i) => encodeKey(`prefix/that/all/share/${(i * 7919) % 1000}/${i % 3}`))
    expect([...sortedOrder(shared)]).toEqual(expected(shared))
    // 2^20 - 1 keys: 20 index bits beside four bytes of prefix, just under float64's 53
    const many = Array.from({ length: 2 ** 20 - 1 }, (_, i) => Uint8Array.of(255 - (i % 251), (i * 7) & 255, (i >> 8) & 255, 255, i & 1))
    const order = sortedOrder(many)
    expect(new Set(order).size).toBe(many.length) // a permutation: no index lost to rounding
    for (let i = 1; i < order.length; i++) {
      const c = compareKeys(many[order[i - 1]!]!, many[order[i]!]!)
      if (c > 0 || (c === 0 && order[i - 1]! > order[i]!)) expect.fail(`out of order at ${i}`)
    }
  })
})
