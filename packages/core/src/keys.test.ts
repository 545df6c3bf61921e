// The key encoding against an independent oracle: idbCompare (test/idb-order.ts) follows the
// IndexedDB spec's "compare two keys" on JS values; byte order of the encodings must agree with
// it on random keys (e2e/keys.spec.ts does the same with Chromium's indexedDB.cmp). Also: round
// trips, format-1 keys (astral characters as 4-byte UTF-8) and their re-encoding, rejected keys,
// the 2 KiB limit at its boundary, and prefixRange. Fixed seed (COWDB_SEED overrides); fast-check
// prints the seed and the path of a failing case.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { anyKey, keyList, stringKey } from '../test/key-arbitraries.js'
import { formatOneKey as formatOne } from '../test/format-one.js'
import { idbCompare } from '../test/idb-order.js'
import { MAX_KEY_BYTES, compareKeys, decodeKey, encodeKey, encodeRange, isLegacyKey, keyInRange, prefixRange, reencodeKey } from './keys.js'
import type { Key } from './types.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261130)
const RUNS = Number(process.env.COWDB_RUNS ?? 3000)
const run = <T,>(prop: fc.IProperty<T>, numRuns = RUNS) => fc.assert(prop, { seed: SEED, numRuns })
const sign = (x: number) => Math.sign(x) | 0

/** A key's exact shape and JS types, as a string: equal shapes mean the same key of the same types. */
function shape(k: unknown): string {
  if (typeof k === 'number') return Object.is(k, -0) ? 'n-0' : `n${k}`
  if (typeof k === 'string') return `s${JSON.stringify(k)}` // escapes lone surrogates as \udXXX
  if (k instanceof Date) return `d${k.getTime()}`
  if (k instanceof Uint8Array) return `${k.constructor === Uint8Array ? 'b' : 'B?'}${Array.from(k).join('.')}`
  if (Array.isArray(k)) return `[${k.map(shape).join(',')}]`
  return `?${String(k)}`
}
const kindOf = (k: Key) => (typeof k === 'number' ? 'number' : typeof k === 'string' ? 'string' : k instanceof Date ? 'date' : k instanceof Uint8Array ? 'binary' : 'array')
/** What decoding must give back: the same key, with -0 as 0 (they are one key; see docs/keys.md). */
const normal = (k: Key): Key => (Object.is(k, -0) ? 0 : Array.isArray(k) ? k.map(normal) : k)

describe(`key order is IndexedDB's (seed ${SEED})`, () => {
  it('byte order of encodings equals the spec oracle on every pair of random key lists', () => {
    const seen: Record<string, number> = {}
    run(
      fc.property(keyList(), (keys) => {
        const enc = keys.map(encodeKey)
        for (let i = 0; i < keys.length; i++) {
          seen[kindOf(keys[i]!)] = (seen[kindOf(keys[i]!)] ?? 0) + 1
          for (let j = 0; j < keys.length; j++) {
            const got = sign(compareKeys(enc[i]!, enc[j]!))
            const want = idbCompare(keys[i], keys[j])
            if (got !== want) throw new Error(`compare(${shape(keys[i])}, ${shape(keys[j])}): bytes say ${got}, IndexedDB ${want}`)
          }
        }
      }),
    )
    console.log('key order: keys compared per type', seen)
    for (const kind of ['number', 'date', 'string', 'binary', 'array']) expect(seen[kind], kind).toBeGreaterThan(RUNS / 4)
  })

  it('the cases of issue 13: U+FFFF < U+10000 and U+E000 above every surrogate, as JS < says', () => {
    const order: Key[] = [-Infinity, -0, Number.MIN_VALUE, Infinity, new Date(-8.64e15), new Date(0), new Date(8.64e15), '', '\0', '\x01', '\u{10000}', '\u{10FFFF}', '\uDFFF', '\uE000', '\uFFFD', '\uFFFF', '\uFFFF\0', new Uint8Array(0), new Uint8Array([0]), new Uint8Array([0, 0]), new Uint8Array([0xff]), [], [-1], ['\u{10000}'], ['\uFFFF'], [[]]]
    const sorted = [...order].sort((a, b) => compareKeys(encodeKey(a), encodeKey(b)))
    expect(sorted.map(shape)).toEqual(order.map(shape))
    expect('\u{10000}' < '\uFFFF').toBe(true) // what the order follows
  })
})

describe('keys round-trip as the type they were written as', () => {
  it('decodeKey(encodeKey(k)) is k (with -0 as 0)', () => {
    run(
      fc.property(anyKey, (k) => {
        expect(shape(decodeKey(encodeKey(k)))).toBe(shape(normal(k)))
      }),
    )
  })

  it('a Buffer or other Uint8Array subclass comes back as a plain Uint8Array; a Date as a Date', () => {
    class Bytes extends Uint8Array {}
    expect(decodeKey(encodeKey(new Bytes([1, 0, 2]))).constructor).toBe(Uint8Array)
    expect(encodeKey(new Bytes([1, 0, 2]))).toEqual(encodeKey(new Uint8Array([1, 0, 2])))
    const d = decodeKey(encodeKey(new Date(1234)))
    expect(d).toBeInstanceOf(Date)
    expect((d as Date).getTime()).toBe(1234)
    expect(compareKeys(encodeKey(new Date(5)), encodeKey(5))).toBeGreaterThan(0) // a date is not its number
  })
})

const hasAstral = (k: Key): boolean => (typeof k === 'string' ? /[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(k) : Array.isArray(k) && k.some(hasAstral))
const hasDate = (k: Key): boolean => k instanceof Date || (Array.isArray(k) && k.some(hasDate))

describe('format-1 keys (astral characters as 4-byte UTF-8)', () => {
  it('decode to the same key; isLegacyKey says whether their bytes change; reencodeKey gives the new bytes', () => {
    let legacy = 0
    run(
      fc.property(anyKey, (k) => {
        fc.pre(!hasDate(k)) // format 1 had no dates
        const old = formatOne(k)
        expect(shape(decodeKey(old))).toBe(shape(normal(k)))
        expect(isLegacyKey(old)).toBe(hasAstral(k))
        expect(isLegacyKey(encodeKey(k))).toBe(false)
        if (hasAstral(k)) legacy++
        else expect(old).toEqual(encodeKey(k)) // every other key keeps its bytes: nothing to migrate
        expect(reencodeKey(old)).toEqual(encodeKey(k))
      }),
    )
    expect(legacy).toBeGreaterThan(RUNS / 10)
  })

  it('reencodeKey keeps a stored key that re-encoding takes over the limit', () => {
    const k = 'limit:' + '\u{1F600}'.repeat(505)
    const old = formatOne(k)
    expect(old.length).toBeLessThanOrEqual(MAX_KEY_BYTES)
    expect(() => encodeKey(k)).toThrow(TypeError)
    const now = reencodeKey(old)
    expect(now.length).toBe(6 + 505 * 6 + 3)
    expect(decodeKey(now)).toBe(k)
  })
})

describe('bad keys are a TypeError naming the problem', () => {
  const sparse = [1, , 3] // eslint-disable-line no-sparse-arrays
  const selfish: unknown[] = [1]
  selfish.push(selfish)
  let deep: unknown = 1
  for (let i = 0; i < 40; i++) deep = [deep]
  const cases: [string, unknown, RegExp][] = [
    ['undefined', undefined, /a key must be .*; got undefined/],
    ['null', null, /got null/],
    ['NaN', NaN, /NaN/],
    ['boolean', true, /got boolean/],
    ['bigint', 1n, /got bigint/],
    ['function', () => 1, /a key must be .*; got function/],
    ['symbol', Symbol('s'), /a key must be .*; got symbol/],
    ['object', { a: 1 }, /got object/],
    ['Map', new Map(), /got Map/],
    ['invalid Date', new Date(NaN), /invalid Date/],
    ['ArrayBuffer', new ArrayBuffer(2), /got ArrayBuffer \(a binary key is a Uint8Array/],
    ['Int16Array', new Int16Array(2), /got Int16Array/],
    ['DataView', new DataView(new ArrayBuffer(2)), /got DataView/],
    ['a bad element', ['ok', undefined], /got undefined/],
    ['NaN inside', [1, [NaN]], /NaN/],
    ['a hole', sparse, /hole at index 1/],
    ['a cycle', selfish, /contains itself/],
    ['nesting over 32', deep, /deeper than 32/],
  ]
  it.each(cases)('%s', (_, key, message) => {
    expect(() => encodeKey(key as Key)).toThrow(TypeError)
    expect(() => encodeKey(key as Key)).toThrow(message)
    if (key !== undefined) expect(() => encodeRange({ gte: key as Key })).toThrow(TypeError) // an undefined bound is no bound
  })

  it('a key under the limit still encodes after a rejected one (no state left behind)', () => {
    expect(() => encodeKey(['x'.repeat(2000), 'y'.repeat(100)])).toThrow(TypeError)
    expect(decodeKey(encodeKey(['a', 1]))).toEqual(['a', 1])
  })
})

describe(`the ${MAX_KEY_BYTES}-byte limit, at the boundary`, () => {
  // [key at exactly the limit, the same one byte over]
  const pairs: [string, Key, Key][] = [
    ['ASCII string (fast path)', 'a'.repeat(2045), 'a'.repeat(2046)],
    ['string with NUL', 'a'.repeat(2043) + '\0', 'a'.repeat(2044) + '\0'],
    ['2-byte units', 'é'.repeat(1022) + 'a', 'é'.repeat(1023)],
    ['3-byte units and surrogates', '\uFFFF'.repeat(681) + 'a', '\uD800'.repeat(682)],
    ['binary with zeros', new Uint8Array(1022).fill(0).subarray(0, 1022), new Uint8Array(1023)],
    ['array of numbers', [...Array.from({ length: 227 }, (_, i) => i), ''], [...Array.from({ length: 227 }, (_, i) => i), 'a']],
  ]
  it.each(pairs)('%s', (_, fits, over) => {
    expect(encodeKey(fits).length).toBeLessThanOrEqual(MAX_KEY_BYTES)
    expect(shape(decodeKey(encodeKey(fits)))).toBe(shape(fits))
    expect(() => encodeKey(over)).toThrow(/bytes encoded; the limit is 2048/)
  })

  it('exact sizes: 2045 ASCII units are 2048 bytes, and a huge key is refused without encoding it all', () => {
    expect(encodeKey('a'.repeat(2045)).length).toBe(2048)
    expect(encodeKey(new Uint8Array(1022)).length).toBe(1 + 2044 + 2)
    expect(() => encodeKey('x'.repeat(10_000_000))).toThrow(TypeError)
    expect(() => encodeKey(Array.from({ length: 1_000_000 }, () => 0))).toThrow(/over \d+ bytes encoded/)
  })
})

describe('prefixRange', () => {
  it('holds exactly the string keys that start with the prefix', () => {
    run(
      fc.property(stringKey, fc.array(fc.oneof(anyKey, stringKey), { maxLength: 10 }), (prefix, keys) => {
        const r = encodeRange(prefixRange(prefix))
        for (const k of [...keys, ...keys.filter((x) => typeof x === 'string').map((x) => prefix + x)]) {
          expect(keyInRange(encodeKey(k), r), shape(k)).toBe(typeof k === 'string' && k.startsWith(prefix))
        }
      }),
    )
  })

  it('covers keys after prefix + U+FFFF and astral ones, and an empty or all-U+FFFF prefix covers every string', () => {
    const inPrefix = (p: string, k: Key) => keyInRange(encodeKey(k), encodeRange(prefixRange(p)))
    expect(inPrefix('a', 'a\uFFFF\uFFFFz')).toBe(true)
    expect(inPrefix('a', 'a\u{10FFFF}')).toBe(true)
    expect(inPrefix('a\uFFFF', 'a\uFFFF\uFFFF')).toBe(true)
    expect(inPrefix('a\uFFFF', 'b')).toBe(false)
    expect(inPrefix('', '\uFFFF\uFFFF')).toBe(true)
    expect(inPrefix('', new Uint8Array(0))).toBe(false)
    expect(inPrefix('\uFFFF', '\uFFFF\u{10000}')).toBe(true)
  })
})
