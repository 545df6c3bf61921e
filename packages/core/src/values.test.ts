import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { CorruptionError, DataCloneError } from './errors.js'
import { decodeValue, encodeValue } from './values.js'
import { MAX_DEPTH } from './values-encode.js'
import { Float16Bits, halfToNumber } from './values-float16.js'
import { FORMAT_V1, KIND_FLOAT16, T_VIEW, T_VIEW_ON, T_ARRAYBUFFER } from './values-format.js'
import { build, caseArb, compareClone, EXPECTED_KINDS, kindsOf, tally } from '../test/values-oracle.js'

const seed = Number(process.env.COWDB_SEED ?? 20261130)
const numRuns = Number(process.env.COWDB_RUNS ?? 3000)
const roundTrip = (v: unknown) => decodeValue(encodeValue(v))

describe('value codec against structuredClone', () => {
  it(`decodes every generated value deep-equal to structuredClone (${numRuns} cases, seed ${seed})`, () => {
    const counts = new Map<string, number>()
    fc.assert(
      fc.property(caseArb, (c) => {
        const value = build(c)
        let expected: unknown
        try {
          expected = structuredClone(value)
        } catch (e) {
          // Node 20's V8 cannot read back a cycle through an error's cause (Chromium can, and
          // e2e/values.spec.ts compares there); everything else must clone.
          if (!String(e).includes('Unable to deserialize cloned data')) throw e
          tally(counts, ['(oracle failed: cycle through an error cause)'])
          return
        }
        const bytes = encodeValue(value)
        // The same value encodes to the same bytes (no state leaks from one encode to the next).
        expect(encodeValue(value)).toEqual(bytes)
        const diff = compareClone(decodeValue(bytes), expected, value)
        if (diff) throw new Error(diff)
        tally(counts, kindsOf(value))
      }),
      { seed, numRuns },
    )
    console.log(`value types in ${numRuns} cases (seed ${seed}):\n` + [...counts].sort((a, b) => a[0].localeCompare(b[0])).map(([k, n]) => `  ${k.padEnd(30)} ${n}`).join('\n'))
    expect(EXPECTED_KINDS.filter((k) => !counts.has(k))).toEqual([])
  })

  it('the comparator catches what the codec must keep (it is not blind)', () => {
    const arr = [1, , 3] as unknown[]
    const withExtra = Object.assign([1], { x: 1 })
    const shared = { s: 1 }
    const cases: [unknown, unknown][] = [
      [-0, 0],
      [NaN, 0],
      ['\ud800', '\ufffd'],
      [arr, [1, undefined, 3]],
      [withExtra, [1]],
      [JSON.parse('{"__proto__":1}'), { ['__proto_']: 1 }],
      [[shared, shared], [{ s: 1 }, { s: 1 }]],
      [new Map([[1, 'a']]), { 1: 'a' }],
      [new Date(NaN), new Date(0)],
      [/a/g, /a/],
      [new TypeError('m'), new Error('m')],
      [new Float32Array([1]), new Float64Array([1])],
      [new Number(1), 1],
    ]
    for (const [value, wrong] of cases) {
      expect(compareClone(structuredClone(value), structuredClone(value), value)).toBeNull()
      expect(compareClone(wrong, structuredClone(value), value)).not.toBeNull()
    }
    const b = new ArrayBuffer(8)
    const views = [new Uint8Array(b, 0, 4), new Uint8Array(b, 4, 4)]
    expect(compareClone([new Uint8Array(4), new Uint8Array(4)], structuredClone(views), views)).toMatch(/byteOffset|buffer/)
  })
})

describe('value codec: each type', () => {
  it('keeps -0, NaN, infinities, integers of every width, bigints of any size', () => {
    for (const v of [-0, NaN, Infinity, -Infinity, 0, 127, 128, -32, -33, -128, -129, 32767, -32768, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53, 0.1, 5e-324]) expect(Object.is(roundTrip(v), v)).toBe(true)
    for (const v of [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n, -(2n ** 63n) - 1n, 2n ** 64n, 3n ** 200n, -(3n ** 200n)]) expect(roundTrip(v)).toBe(v)
  })

  it('keeps strings exactly: lone surrogates, astral characters, every length class', () => {
    const strings = ['', 'a', 'x'.repeat(31), 'x'.repeat(32), 'é'.repeat(20), 'é'.repeat(70), '\u{1F600}', '\ud800', 'a\udc00', '\udbff\udbff', 'z'.repeat(70_000), 'é'.repeat(30_000) + '\ud800']
    for (const s of strings) expect(roundTrip(s)).toBe(s)
    expect(roundTrip({ ['\ud800key']: 1 })).toEqual({ ['\ud800key']: 1 })
  })

  it('keeps an own __proto__ key as an own property, and does not change the prototype', () => {
    const v = JSON.parse('{"a":1,"__proto__":{"polluted":true}}')
    const out = roundTrip(v) as Record<string, unknown>
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(Object.keys(out)).toEqual(['a', '__proto__'])
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')!.value).toEqual({ polluted: true })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('keeps objects with 70,000 keys', () => {
    const v = Object.fromEntries(Array.from({ length: 70_000 }, (_, i) => [`k${i}`, i]))
    const out = roundTrip(v) as Record<string, number>
    expect(Object.keys(out).length).toBe(70_000)
    expect(out.k69999).toBe(69_999)
  })

  it('keeps holes, extra properties and the length of arrays, sparse ones too', () => {
    const a: unknown[] = [1, , 3, , ,]
    Object.assign(a, { extra: 'x', '-1': 'neg' })
    const out = roundTrip(a) as unknown[]
    expect(out.length).toBe(5)
    expect(Object.keys(out)).toEqual(['0', '2', 'extra', '-1'])
    const sparse: unknown[] = []
    sparse[1_000_000] = 'far'
    const s = roundTrip(sparse) as unknown[]
    expect(s.length).toBe(1_000_001)
    expect(Object.keys(s)).toEqual(['1000000'])
    expect(encodeValue(sparse).length).toBeLessThan(32) // a sparse array costs its entries, not its length
  })

  it('keeps Map and Set keys of every type, in order', () => {
    const k = { id: 1 }
    const m = new Map<unknown, unknown>([[1, 'a'], ['1', 'b'], [k, 'c'], [new Date(5), 'd'], [NaN, 'e'], [-0, 'f']])
    const out = roundTrip(m) as Map<unknown, unknown>
    expect([...out.values()]).toEqual(['a', 'b', 'c', 'd', 'e', 'f'])
    expect(out.get(1)).toBe('a')
    expect(out.get('1')).toBe('b')
    expect([...out.keys()][2]).toEqual({ id: 1 })
    expect(roundTrip(new Set([1, '1', k, k]))).toEqual(new Set([1, '1', { id: 1 }]))
  })

  it('keeps errors as structuredClone does: kind by name, message, stack, cause; drops other fields', () => {
    const e = Object.assign(new RangeError('out', { cause: { why: 1 } }), { code: 'E1' })
    const out = roundTrip(e) as RangeError
    expect(out).toBeInstanceOf(RangeError)
    expect(out.message).toBe('out')
    expect(out.stack).toBe(e.stack)
    expect(out.cause).toEqual({ why: 1 })
    expect(Object.keys(out)).toEqual([])
    const renamed = Object.assign(new Error('x'), { name: 'TypeError' })
    expect(roundTrip(renamed)).toBeInstanceOf(TypeError)
    expect(Object.getPrototypeOf(roundTrip(new AggregateError([1], 'agg')))).toBe(Error.prototype)
    const self = new Error('loop') as Error & { cause?: unknown }
    self.cause = self
    const loop = roundTrip(self) as Error & { cause?: unknown }
    expect(loop.cause).toBe(loop)
  })

  it('keeps RegExp source and flags; lastIndex starts at 0, as structuredClone does', () => {
    const r = /a(?<n>b)+/dgimsy
    r.lastIndex = 3
    const out = roundTrip(r) as RegExp
    expect([out.source, out.flags, out.lastIndex]).toEqual([r.source, r.flags, 0])
    expect((roundTrip(new RegExp('[\\p{L}--[a-z]]', 'v')) as RegExp).flags).toBe('v')
  })

  it('keeps views sharing a buffer sharing it, with offsets, whichever comes first', () => {
    const b = new ArrayBuffer(16)
    new Uint8Array(b).set(Array.from({ length: 16 }, (_, i) => i))
    for (const make of [
      () => [new Uint8Array(b, 2, 4), new Float64Array(b, 8, 1)],
      () => [new Uint16Array(b, 4, 2), b],
      () => [b, new DataView(b, 3, 5)],
      () => ({ x: new Int8Array(b, 1, 3), y: { z: new Int8Array(b, 1, 3) } }),
    ]) {
      const v = make()
      expect(compareClone(roundTrip(v), structuredClone(v), v)).toBeNull()
    }
    const [u, f] = roundTrip([new Uint8Array(b, 2, 4), new Float64Array(b, 8, 1)]) as [Uint8Array, Float64Array]
    expect(u.buffer).toBe(f.buffer)
    expect([u.byteOffset, f.byteOffset, u.buffer.byteLength]).toEqual([2, 8, 16])
  })

  it('stores a lone view with its own bytes only (offset 0), not the rest of its buffer', () => {
    const big = new Uint8Array(1 << 16)
    const view = big.subarray(1000, 1010)
    view.set([1, 2, 3])
    const bytes = encodeValue({ view })
    expect(bytes.length).toBeLessThan(40)
    const out = (decodeValue(bytes) as { view: Uint8Array }).view
    expect([...out]).toEqual([...view])
    expect([out.byteOffset, out.buffer.byteLength]).toEqual([0, 10])
  })

  it('keeps resizable buffers resizable, and length-tracking views tracking', () => {
    const b = new (ArrayBuffer as any)(8, { maxByteLength: 32 }) as ArrayBuffer & { resize(n: number): void; maxByteLength: number; resizable: boolean }
    const v = { tracking: new Uint16Array(b), fixed: new Uint16Array(b, 2, 2), dv: new DataView(b) }
    const out = roundTrip(v) as typeof v
    const ob = out.tracking.buffer as typeof b
    expect([ob.resizable, ob.maxByteLength, ob.byteLength, b.byteLength]).toEqual([true, 32, 8, 8])
    ob.resize(16)
    expect([out.tracking.length, out.fixed.length, out.dv.byteLength]).toEqual([8, 2, 16])
  })

  it('keeps boxed primitives, dates (invalid too), and flattens class instances', () => {
    const boxed = roundTrip([new Number(-0), new String('\ud800'), new Boolean(false), Object(5n)]) as object[]
    expect(boxed.map((b) => b.valueOf())).toEqual([-0, '\ud800', false, 5n])
    expect(Object.is(boxed[0]!.valueOf(), -0)).toBe(true)
    expect(Number.isNaN((roundTrip(new Date(NaN)) as Date).getTime())).toBe(true)
    class Pt {
      x = 1
      get y() {
        return 2
      }
    }
    const out = roundTrip(new Pt())
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(out).toEqual({ x: 1 })
  })

  it('keeps Uint8Array fast: a top-level one is its bytes behind one format byte', () => {
    const v = new Uint8Array([9, 8, 7])
    expect([...encodeValue(v)].slice(1)).toEqual([9, 8, 7])
    expect(roundTrip(v)).toEqual(v)
    expect(roundTrip(v)).toBeInstanceOf(Uint8Array)
  })

  it('nests up to MAX_DEPTH levels and reads them back', () => {
    let deep: unknown = 'bottom'
    for (let i = 1; i < MAX_DEPTH; i++) deep = i % 2 ? [deep] : { d: deep }
    let out = roundTrip(deep)
    for (let i = MAX_DEPTH - 1; i >= 1; i--) out = i % 2 ? (out as unknown[])[0] : (out as { d: unknown }).d
    expect(out).toBe('bottom')
  })
})

describe('value codec: Float16Array where the runtime has none', () => {
  const halves = [0x3c00, 0xc000, 0x7c00, 0xfc00, 0x7e00, 0x8000, 0x0001, 0x7bff] // 1, -2, Inf, -Inf, NaN, -0, 2^-24, 65504
  const numbers = [1, -2, Infinity, -Infinity, NaN, -0, 2 ** -24, 65504]
  const bytes = new Uint8Array([FORMAT_V1, T_VIEW, KIND_FLOAT16, 16, ...new Uint8Array(new Uint16Array(halves).buffer)])

  it('decodes a stored Float16Array (as a browser writes it) to the stand-in, and writes it back the same', () => {
    const out = decodeValue(bytes)
    if (typeof (globalThis as { Float16Array?: unknown }).Float16Array === 'function') {
      expect(Object.prototype.toString.call(out)).toBe('[object Float16Array]')
      return
    }
    expect(out).toBeInstanceOf(Float16Bits)
    expect([...(out as Float16Bits)]).toEqual(halves)
    expect([...(out as Float16Bits).toFloat32()]).toEqual(numbers)
    expect(encodeValue(out)).toEqual(bytes)
    expect(halves.map(halfToNumber)).toEqual(numbers)
  })

  it('keeps the stand-in on the buffer it shares with other views', () => {
    const b = new ArrayBuffer(8)
    const v = [new Float16Bits(b, 2, 2), new Uint8Array(b)]
    new Uint8Array(b).set([1, 2, 0x00, 0x3c, 0x00, 0xc0, 7, 8])
    const [h, u] = roundTrip(v) as [Float16Bits, Uint8Array]
    expect(h.buffer).toBe(u.buffer)
    expect(h.byteOffset).toBe(2)
    expect([...h.toFloat32()]).toEqual([1, -2])
    const b2 = encodeValue(v)
    expect(b2.includes(T_VIEW_ON) && b2.includes(T_ARRAYBUFFER)).toBe(true)
  })
})

describe('value codec: what cannot be stored', () => {
  const sab = typeof SharedArrayBuffer === 'function' ? new SharedArrayBuffer(4) : undefined
  const detached = new ArrayBuffer(4)
  structuredClone(detached, { transfer: [detached] })
  class Listener extends EventTarget {}
  const rejected: [string, unknown, RegExp][] = [
    ['function', () => 1, /^cowdb: value is a function/],
    ['method deep inside', { items: [0, 1, 2, { label: 'x', onClick() {} }] }, /value\.items\[3\]\.onClick is a function/],
    ['symbol', { s: Symbol('x') }, /value\.s is a symbol/],
    ['symbol in a Map key', new Map([[Symbol(), 1]]), /value\.keys\(\)\[0\] is a symbol/],
    ['function in a Map value', new Map([['k', () => 1]]), /value\.get\("k"\) is a function/],
    ['function in a Set', new Set([1, () => 1]), /value\.values\(\)\[1\] is a function/],
    ['function in an error cause', new Error('x', { cause: { f: () => 1 } }), /value\.cause\.f is a function/],
    ['odd key', { 'a b': [() => 1] }, /value\["a b"\]\[0\] is a function/],
    ['array extra property', Object.assign([1], { cb: () => 1 }), /value\.cb is a function/],
    ['WeakMap', { w: new WeakMap() }, /value\.w is a WeakMap/],
    ['WeakSet', new WeakSet(), /value is a WeakSet/],
    ['WeakRef', new WeakRef({}), /value is a WeakRef/],
    ['FinalizationRegistry', new FinalizationRegistry(() => {}), /value is a FinalizationRegistry/],
    ['Promise', [Promise.resolve(1)], /value\[0\] is a Promise/],
    ['Symbol object', Object(Symbol('x')), /value is a Symbol object/],
    ['generator', (function* () {})(), /value is a Generator/],
    ['iterator', new Map().keys(), /value is a Map Iterator/],
    ['SharedArrayBuffer', sab, /value is a SharedArrayBuffer/],
    ['view of a SharedArrayBuffer', sab && new Uint8Array(sab), /value is a view of a SharedArrayBuffer/],
    ['detached ArrayBuffer', { b: detached }, /value\.b is a detached ArrayBuffer/],
    ['Uint8Array on a detached buffer', viewOfDetached(), /value is a Uint8Array on a detached ArrayBuffer/],
  ]
  // Platform objects: Node's structuredClone copies a Blob and flattens a URL; a browser copies
  // a Blob and refuses the others. cowdb stores none of them.
  const platform: [string, unknown, RegExp][] = [
    ['Blob', new Blob(['x']), /value is a Blob/],
    ['EventTarget subclass', new Listener(), /value is an EventTarget/],
    ['URL', { u: new URL('https://example.com') }, /value\.u is a URL/],
  ]
  for (const [what, value, message] of [...rejected, ...platform]) {
    it(`rejects ${what} with DataCloneError naming the type and the path`, () => {
      if (value === undefined) return // no SharedArrayBuffer in this runtime
      if (!platform.some(([w]) => w === what)) expect(() => structuredCloneForStorage(value)).toThrow() // the oracle rejects it too
      let err: unknown
      try {
        encodeValue(value)
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(DataCloneError)
      expect((err as Error).name).toBe('DataCloneError')
      expect((err as Error).message).toMatch(message)
    })
  }

  it('rejects nesting deeper than MAX_DEPTH with DataCloneError', () => {
    let deep: unknown = 1
    for (let i = 0; i <= MAX_DEPTH; i++) deep = [deep]
    expect(() => encodeValue(deep)).toThrow(DataCloneError)
    expect(() => encodeValue(deep)).toThrow(/^cowdb: value(\[0\]){34}…(\[0\]){34} is nested more than 512 levels deep/)
  })

  it('rejects undefined at the top with TypeError (delete the key instead), keeps it inside', () => {
    expect(() => encodeValue(undefined)).toThrow(TypeError)
    expect(roundTrip([undefined, { u: undefined }])).toEqual([undefined, { u: undefined }])
  })

  it('ignores symbol-keyed and non-enumerable properties, as structuredClone does', () => {
    const o = { a: 1, [Symbol('s')]: () => 1 }
    Object.defineProperty(o, 'hidden', { value: () => 1, enumerable: false })
    expect(roundTrip(o)).toEqual(structuredClone(o))
    expect(Object.getOwnPropertySymbols(roundTrip(o))).toEqual([])
  })

  it('an encoder that threw leaves no state behind for the next value', () => {
    const shared = { s: 1 }
    expect(() => encodeValue([shared, () => 1])).toThrow(DataCloneError)
    const out = roundTrip([shared, shared]) as object[]
    expect(out[0]).toBe(out[1])
    expect(encodeValue({ a: 1 })).toEqual(encodeValue({ a: 1 }))
  })

  it('turns bytes that are not a value into CorruptionError', () => {
    for (const bad of [[FORMAT_V1, 0xc5], [FORMAT_V1, 0x90, 0x01], [0x7f], [FORMAT_V1, 0x9e, 0x00], [FORMAT_V1, 1, 2]]) {
      expect(() => decodeValue(new Uint8Array(bad))).toThrow(CorruptionError)
    }
  })
})

function viewOfDetached(): Uint8Array {
  const b = new ArrayBuffer(8)
  const v = new Uint8Array(b)
  structuredClone(b, { transfer: [b] })
  return v
}

/** structuredClone as IndexedDB uses it (for storage): it also refuses SharedArrayBuffer. */
function structuredCloneForStorage(v: unknown): unknown {
  if (typeof SharedArrayBuffer === 'function' && (v instanceof SharedArrayBuffer || (ArrayBuffer.isView(v) && v.buffer instanceof SharedArrayBuffer))) throw new Error('SharedArrayBuffer cannot be stored')
  return structuredClone(v)
}
