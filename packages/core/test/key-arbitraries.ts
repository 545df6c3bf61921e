// fast-check generators of valid keys, shared by the Node key tests (keys.test.ts) and the
// Chromium ones (demo/test/keys.ts, where indexedDB.cmp is the oracle). They lean on the
// places an order-preserving encoding goes wrong: surrogates (lone, paired, astral), the
// U+E000..U+FFFF units that sort above every surrogate, NUL and its escape, -0, ±Infinity,
// subnormals, extreme dates, binary with 0x00 and 0xFF, nested and empty arrays, prefixes.
import fc from 'fast-check'
import type { Key } from '../src/types.js'

const char = (from: number, to: number) => fc.integer({ min: from, max: to }).map((c) => String.fromCharCode(c))

/** One string piece: a code unit of some interesting class, or an astral character (two units). */
const piece = fc.oneof(
  { arbitrary: fc.constantFrom('a', 'b', 'z', '\0', '\x01', '\x7f', '\x80', 'é', '\u07ff', '\u0800', '\uD7FF', '\uFFFF', '\uE000', '\uFFFD'), weight: 4 },
  { arbitrary: char(0, 0x7f), weight: 2 },
  { arbitrary: char(0x80, 0xd7ff), weight: 1 },
  { arbitrary: char(0xd800, 0xdfff), weight: 2 }, // a lone surrogate, or half of a pair with its neighbour
  { arbitrary: char(0xe000, 0xffff), weight: 2 },
  { arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)), weight: 3 },
  { arbitrary: fc.constantFrom('\u{10000}', '\u{1F600}', '\u{10FFFF}', '\uD800\uDC00', '\uDBFF\uDFFF'), weight: 2 },
)

/** Strings from the pieces above, often short, so that equal strings and prefixes are common. */
export const stringKey: fc.Arbitrary<string> = fc.array(piece, { maxLength: 8 }).map((p) => p.join(''))

/** Numbers incl. -0, ±Infinity, the smallest subnormals and the largest doubles (never NaN). */
export const numberKey: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, Infinity, -Infinity, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MAX_SAFE_INTEGER, 2 ** 53, 0.1, 0.5),
  fc.integer({ min: -1000, max: 1000 }),
  fc.double({ noNaN: true }),
)

/** Valid dates, incl. the extremes of the time value range (±8.64e15 ms) and before 1970. */
export const dateKey: fc.Arbitrary<Date> = fc.oneof(
  fc.constantFrom(8.64e15, -8.64e15, 0, -1, 1, 1_700_000_000_000).map((t) => new Date(t)),
  fc.date({ noInvalidDate: true }),
)

/** Binary keys, biased to 0x00 (the escaped byte) and 0xFF (the escape's second byte). */
export const binaryKey: fc.Arbitrary<Uint8Array> = fc
  .array(fc.oneof(fc.constantFrom(0x00, 0xff, 0x01, 0xfe), fc.integer({ min: 0, max: 255 })), { maxLength: 8 })
  .map((b) => Uint8Array.from(b))

/** Any valid key: the scalars, and arrays of keys nested up to three deep (empty ones too). */
export const anyKey: fc.Arbitrary<Key> = fc.letrec<{ key: Key; array: Key[] }>((tie) => ({
  key: fc.oneof(
    { depthSize: 'small', maxDepth: 3, depthIdentifier: 'key', withCrossShrink: true },
    { arbitrary: numberKey, weight: 2 },
    { arbitrary: dateKey, weight: 1 },
    { arbitrary: stringKey, weight: 3 },
    { arbitrary: binaryKey, weight: 1 },
    { arbitrary: tie('array'), weight: 1 },
  ),
  array: fc.array(tie('key'), { maxLength: 4, depthIdentifier: 'key' }) as fc.Arbitrary<Key[]>,
})).key

/**
 * Lists of keys that share a lot: drawn from a small pool of keys plus variations of them (a
 * key with something appended, inside an array, with the last unit or byte changed), so that
 * sorting them meets equal keys, prefixes and near neighbours, not only a type difference.
 */
export const keyList = (maxLength = 24): fc.Arbitrary<Key[]> =>
  fc.array(anyKey, { minLength: 1, maxLength: 6 }).chain((pool) =>
    fc.array(
      fc.tuple(fc.constantFrom(...pool), fc.nat(5), stringKey, anyKey).map(([k, how, s, other]) => vary(k, how, s, other)),
      { minLength: 2, maxLength },
    ),
  )

function vary(k: Key, how: number, s: string, other: Key): Key {
  if (how === 1 && typeof k === 'string') return k + s
  if (how === 2 && Array.isArray(k)) return [...k, other]
  if (how === 3) return [k]
  if (how === 4 && typeof k === 'string' && k.length) return k.slice(0, -1) + s.slice(0, 1)
  if (how === 5 && k instanceof Uint8Array) return Uint8Array.from([...k, s.length])
  return k
}
