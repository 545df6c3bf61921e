// Write operations on their own: validation of user ops (a TypeError naming the bad op, nothing
// encoded), and the WAL body round trip of random puts, deletes and ranges with every combination
// of bounds (records.test.ts pins the bytes). Fixed seed; fast-check prints the failing case.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { anyKey } from '../test/key-arbitraries.js'
import { ByteReader } from './bytes.js'
import { encodeKey, type KeyRange } from './keys.js'
import { encodeOps, encodeRangeOp, readOps, writeOps, type EncodedOp } from './ops.js'
import type { Op } from './types.js'
import { decodeValue } from './values.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261130)

describe('encodeOps', () => {
  it('encodes puts and deletes in order, keys by the key encoding and values by the value encoding', () => {
    const ops = encodeOps([
      { type: 'put', key: 'a', value: { x: [1, 2] } },
      { type: 'delete', key: ['b', 2] },
      { type: 'put', key: 3, value: null },
    ])
    expect(ops.map((o) => o.type)).toEqual(['put', 'delete', 'put'])
    expect(ops.map((o) => ('key' in o ? Buffer.from(o.key).toString('hex') : ''))).toEqual(['a', ['b', 2], 3].map((k) => Buffer.from(encodeKey(k)).toString('hex')))
    expect(decodeValue((ops[0] as { value: Uint8Array }).value)).toEqual({ x: [1, 2] })
    expect(decodeValue((ops[2] as { value: Uint8Array }).value)).toBe(null)
    expect(() => encodeOps([{ type: 'put', key: 1, value: undefined }])).toThrow(TypeError) // delete says that
  })

  it.each([
    ['not an array', 'put' as unknown, /takes an array of ops/],
    ['a null op', [null], /op 0 is not an object/],
    ['an unknown type', [{ type: 'upsert', key: 1 }], /unknown op type "upsert"/],
    ['a put without a value', [{ type: 'put', key: 1 }], /put needs a value/],
    ['a bad key', [{ type: 'delete', key: { a: 1 } }], /./],
    ['a bad key in the second op', [{ type: 'delete', key: 1 }, { type: 'put', key: null, value: 1 }], /^cowdb: op 1: /],
    ['a key over the limit', [{ type: 'delete', key: 'x'.repeat(3000) }], /limit is 2048/],
  ])('%s is a TypeError', (_what, ops, why) => {
    expect(() => encodeOps(ops as Op[])).toThrow(TypeError)
    expect(() => encodeOps(ops as Op[])).toThrow(why)
  })

  it('a range op takes a range object, and one bound per side', () => {
    expect(encodeRangeOp({ gte: 1, lt: 2 }).type).toBe('deleteRange')
    for (const bad of [null, 5, { gt: 1, gte: 1 }, { lt: 1, lte: 2 }]) expect(() => encodeRangeOp(bad as never)).toThrow(TypeError)
  })
})

const bytes = fc.uint8Array({ maxLength: 40 })
const encodedOp: fc.Arbitrary<EncodedOp> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: anyKey.map(encodeKey), value: bytes }),
  fc.record({ type: fc.constant('delete' as const), key: anyKey.map(encodeKey) }),
  fc.record({ lo: fc.option(anyKey.map(encodeKey)), hi: fc.option(anyKey.map(encodeKey)), loInclusive: fc.boolean(), hiInclusive: fc.boolean() }).map(({ lo, hi, loInclusive, hiInclusive }) => {
    const range: KeyRange = { loInclusive, hiInclusive }
    if (lo) range.lo = lo
    if (hi) range.hi = hi
    return { type: 'deleteRange' as const, range }
  }),
)

describe(`WAL bodies of ops (seed ${SEED})`, () => {
  it('readOps(writeOps(ops)) is ops, after a prefix, with the reader left at the end', () => {
    const kinds = { put: 0, delete: 0, deleteRange: 0, openBound: 0 }
    fc.assert(
      fc.property(fc.array(encodedOp, { maxLength: 20 }), fc.uint8Array({ maxLength: 8 }), (ops, pre) => {
        const body = writeOps(ops, (w) => {
          for (const b of pre) w.u8(b)
        })
        expect(body.subarray(0, pre.length)).toEqual(pre)
        const r = new ByteReader(body)
        for (let i = 0; i < pre.length; i++) r.u8()
        const back = readOps(r)
        expect(back).toEqual(ops.map((o) => ({ ...o })))
        expect(r.at).toBe(body.length)
        for (const o of ops) {
          kinds[o.type]++
          if (o.type === 'deleteRange' && (!o.range.lo || !o.range.hi)) kinds.openBound++
        }
      }),
      { seed: SEED, numRuns: 300 },
    )
    for (const [what, count] of Object.entries(kinds)) expect(count, what).toBeGreaterThan(100)
  })

  it('an op byte it does not know is a RangeError', () => {
    const body = writeOps([{ type: 'delete', key: encodeKey(1) }])
    body[4] = 9
    expect(() => readOps(body)).toThrow(RangeError)
  })
})
