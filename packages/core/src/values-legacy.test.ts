import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { CorruptionError } from './errors.js'
import { decodeLegacyValue } from './values-legacy.js'
import { Float16Bits } from './values-float16.js'
// The codec cowdb used before (msgpackr with two extensions), kept as the bench's baseline: it
// writes the bytes this reader must read.
import * as old from '../../../bench/baseline/values-msgpackr.js'
import { compareClone } from '../test/values-oracle.js'

const seed = Number(process.env.COWDB_SEED ?? 20261130)
const numRuns = Number(process.env.COWDB_RUNS ?? 4000) >> 1

/** A Map subclass: the old codec wrote these through its Map extension (0x63), not as a MessagePack map. */
class MapSubclass extends Map<unknown, unknown> {}

/** Values the old encodeValue accepted (plain objects, arrays, Map, Set, Date, binary, bigint, ...). */
const { value: oldValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 6, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-0, 2 ** 32, 2 ** 53, -(2 ** 40)), fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }), fc.string(), fc.string({ unit: 'binary', maxLength: 300 }), fc.boolean(), fc.constant(null)) },
    { weight: 1, arbitrary: fc.oneof(fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.constant(NaN)).map((t) => new Date(t)) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'DataView', 'ArrayBuffer', 'Buffer'), fc.uint8Array({ maxLength: 300 })).map(([kind, bytes]) => binary(kind, bytes)) },
    { weight: 2, arbitrary: fc.dictionary(fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('__proto__', '1', 'constructor')), tie('value'), { maxKeys: 5, noNullPrototype: false }) },
    { weight: 2, arbitrary: fc.array(fc.option(tie('value'), { nil: undefined }), { maxLength: 5 }) },
    { weight: 1, arbitrary: fc.array(fc.tuple(fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), tie('value')), tie('value')), { maxLength: 4 }).map((e) => new Map(e)) },
    { weight: 1, arbitrary: fc.array(fc.tuple(fc.string({ maxLength: 4 }), tie('value')), { maxLength: 3 }).map((e) => new MapSubclass(e)) },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 4 }).map((e) => new Set(e)) },
  ),
}))

function binary(kind: string, bytes: Uint8Array): unknown {
  if (kind === 'Buffer') return Buffer.from(bytes)
  const size = kind === 'DataView' || kind === 'ArrayBuffer' ? 1 : (globalThis as any)[kind].BYTES_PER_ELEMENT
  const b = bytes.slice(0, bytes.length - (bytes.length % size)).buffer
  return kind === 'ArrayBuffer' ? b : new (globalThis as any)[kind](b, 0)
}

/**
 * What the old codec meant `v` to read back as: its losses at write time applied (-0 is 0, a lone
 * surrogate is U+FFFD, a hole is undefined, extra array fields gone), a Map whose keys are all
 * strings a plain object (MessagePack cannot tell them apart), any other Map a Map, binary of
 * its own kind on its own buffer.
 */
function model(v: unknown): unknown {
  if (typeof v === 'number') return Object.is(v, -0) ? 0 : v
  if (typeof v === 'string') return (v as unknown as { toWellFormed?(): string }).toWellFormed?.() ?? v.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
  if (typeof v !== 'object' || v === null) return v
  if (v instanceof Date) return new Date(v.getTime())
  if (v instanceof ArrayBuffer) return v.slice(0)
  if (v instanceof DataView) return new DataView(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength))
  if (ArrayBuffer.isView(v)) {
    const kind = v instanceof Buffer ? Uint8Array : (Object.getPrototypeOf(Object.getPrototypeOf(v) === Buffer.prototype ? Uint8Array.prototype : v).constructor as new (b: ArrayBufferLike) => object)
    return new kind(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength))
  }
  if (Array.isArray(v)) return Array.from({ length: v.length }, (_, i) => model(v[i]))
  if (v instanceof Set) return new Set([...v].map(model))
  if (v instanceof Map) {
    const entries = [...v].map(([k, x]) => [model(k), model(x)] as const)
    if (v.constructor === Map && entries.every(([k]) => typeof k === 'string')) return plain(entries)
    return new Map(entries)
  }
  return plain(Object.keys(v).map((k) => [model(k) as string, model((v as Record<string, unknown>)[k])] as const))
}

function plain(entries: readonly (readonly [unknown, unknown])[]): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  for (const [k, x] of entries) Object.defineProperty(o, k as string, { value: x, enumerable: true, writable: true, configurable: true })
  return o
}

describe('decodeLegacyValue: values written by the msgpackr codec', () => {
  it(`reads every value the old codec wrote as it meant it (${numRuns} cases, seed ${seed})`, () => {
    let oldCouldNotRead = 0
    fc.assert(
      fc.property(oldValue.filter((v) => v !== undefined), (v) => {
        const bytes = old.encodeValue(v)
        const expected = model(v)
        const diff = compareClone(decodeLegacyValue(bytes), expected, expected)
        if (diff) throw new Error(diff)
        // Where the old decoder could read it, it agrees (its Buffers read as Uint8Arrays; a map
        // with a key that is not a string was its loss, now read back as a Map; it renamed an
        // own __proto__ key, cowdb keeps it).
        let theirs: unknown
        try {
          theirs = old.decodeValue(bytes)
        } catch {
          oldCouldNotRead++
          return
        }
        if (some(v, (x) => x instanceof Map && [...x.keys()].some((k) => typeof k !== 'string'))) return
        if (some(v, (x) => Object.prototype.hasOwnProperty.call(x, '__proto__'))) return
        expect(normalize(decodeLegacyValue(bytes))).toEqual(normalize(theirs))
      }),
      { seed, numRuns },
    )
    console.log(`legacy corpus: ${numRuns} values; ${oldCouldNotRead} of them the old decoder itself could not read back`)
  })

  it('reads the values issue 13 found unreadable: a Map with object, number and Date keys', () => {
    const k = { id: 1 }
    const bytes = old.encodeValue(new Map<unknown, unknown>([[k, 'x'], [1, 'a'], ['1', 'b'], [new Date(5), 'd']]))
    expect(() => old.decodeValue(bytes)).toThrow()
    const m = decodeLegacyValue(bytes) as Map<unknown, unknown>
    expect(m).toBeInstanceOf(Map)
    expect([...m]).toEqual([[{ id: 1 }, 'x'], [1, 'a'], ['1', 'b'], [new Date(5), 'd']])
  })

  it('reads hand-written bytes of each form', () => {
    const cases: [number[], unknown][] = [
      [[0xc1, 1, 2, 3], new Uint8Array([1, 2, 3])],
      [[0xd6, 0xff, 0, 0, 0, 2], new Date(2000)],
      [[0xd7, 0xff, 0x01, 0xab, 0x3f, 0x00, 0, 0, 0, 1], new Date(1_007)], // 7,000,000 ns << 2 = 0x01ab3f00, then 1 s
      [[0xc7, 12, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe], new Date(-2000)],
      [[0xd4, 0xff, 0xff], new Date(NaN)],
      [[0xd4, 0x00, 0x00], undefined],
      [[0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe], -2n],
      [[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 2n ** 64n - 1n],
      [[0xc7, 9, 0x42, 0xff, 0, 0, 0, 0, 0, 0, 0, 0], -(2n ** 64n)],
      [[0x81, 0x01, 0xa1, 0x61], new Map([[1, 'a']])],
      [[0x82, 0xa1, 0x61, 0x01, 0xc3, 0x02], new Map<unknown, unknown>([['a', 1], [true, 2]])],
      [[0xde, 0x00, 0x01, 0xa9, ...Buffer.from('__proto__'), 0x01], JSON.parse('{"__proto__":1}')],
      [[0xd4, 0x64, 0x00, 0x92, 0x01, 0x02], new Set([1, 2])],
      [[0xd4, 0x63, 0x00, 0x91, 0x92, 0xa1, 0x6b, 0x07], new Map([['k', 7]])],
      [[0xc7, 3, 0x74, 16, 9, 8], new Uint8Array([9, 8]).buffer],
      [[0xc7, 3, 0x74, 17, 9, 8], new DataView(new Uint8Array([9, 8]).buffer)],
      [[0xc7, 5, 0x74, 3, 0xff, 0xff, 1, 0], new Int16Array([-1, 1])],
      [[0xc4, 2, 5, 6], new Uint8Array([5, 6])],
      [[0xca, 0x3f, 0xc0, 0, 0], 1.5],
      [[0x92, 0xe0, 0xd0, 0x80], [-32, -128]],
    ]
    for (const [bytes, expected] of cases) {
      const diff = compareClone(decodeLegacyValue(new Uint8Array(bytes)), expected, expected)
      expect(diff, `${bytes}`).toBeNull()
    }
  })

  it('reads a browser-written Float16Array (typed array kind 255) as Float16Array or the stand-in', () => {
    const out = decodeLegacyValue(new Uint8Array([0xc7, 5, 0x74, 0xff, 0x00, 0x3c, 0x00, 0xc0]))
    if (typeof (globalThis as { Float16Array?: unknown }).Float16Array === 'function') expect(Object.prototype.toString.call(out)).toBe('[object Float16Array]')
    else expect([...(out as Float16Bits).toFloat32()]).toEqual([1, -2])
  })

  it('throws CorruptionError on bytes it cannot read', () => {
    for (const bad of [[0x92, 0x01], [0x92], [0xd4, 0x99, 0x00], [0x01, 0x02], [0xc7, 2, 0x74, 40, 0], [0x91, 0xc1]]) {
      expect(() => decodeLegacyValue(new Uint8Array(bad))).toThrow(CorruptionError)
    }
  })
})

/** Whether `pred` holds for some object in `v` (a tree: the old codec took no cycles). */
function some(v: unknown, pred: (o: object) => boolean): boolean {
  if (typeof v !== 'object' || v === null) return false
  if (pred(v)) return true
  if (v instanceof Map) return [...v].some(([k, x]) => some(k, pred) || some(x, pred))
  if (v instanceof Set || Array.isArray(v)) return [...v].some((x) => some(x, pred))
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date) return false
  return Object.values(v).some((x) => some(x, pred))
}

/** Buffers as Uint8Arrays, so the old decoder's output (Buffers in Node) compares with ours. */
function normalize(v: unknown, seen = new Map<object, unknown>()): unknown {
  if (typeof v !== 'object' || v === null) return v
  if (seen.has(v)) return seen.get(v)
  if (v instanceof Buffer) return new Uint8Array(v)
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [normalize(k, seen), normalize(x, seen)]))
  if (v instanceof Set) return new Set([...v].map((x) => normalize(x, seen)))
  if (Array.isArray(v)) return v.map((x) => normalize(x, seen))
  if (v instanceof Date || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return v
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x, seen)]))
}
