// Shared by the value codec's differential tests (src/values.test.ts in Node, demo/test/values.ts
// in Chromium): a fast-check generator of structured-clone values of every type, nested, with
// shared references and cycles; a comparator that checks a decoded value against
// structuredClone's result; and a count of the types a value holds, so a run can show that no
// type went untested. No Node or DOM APIs: it runs in both.
import fc from 'fast-check'

type Prim = number | bigint | string | boolean | null | undefined

/** A value to build; built fresh for every run, so fast-check can replay and shrink it. */
type Spec =
  | { t: 'prim'; v: Prim }
  | { t: 'object'; proto: 'plain' | 'null' | 'class'; entries: [string, Spec][]; getter: boolean; hidden: boolean }
  | { t: 'array'; length: number; items: [number, Spec][]; extra: [string, Spec][] }
  | { t: 'map'; entries: [Spec, Spec][] }
  | { t: 'set'; items: Spec[] }
  | { t: 'date'; ms: number }
  | { t: 'regexp'; source: string; flags: string; lastIndex: number }
  | { t: 'boxed'; v: number | string | boolean | bigint }
  | { t: 'error'; ctor: string; message: string | null; cause: Spec | null; stack: 'keep' | 'delete' | 'custom' | 'number'; name: string | null }
  | { t: 'arraybuffer'; buf: number }
  | { t: 'view'; kind: string; buf: number; start: number; len: number | null }

type BufferSpec = { bytes: Uint8Array; resizable: boolean; room: number }
/** A link adds, to the from-th container met, a reference to the to-th object met (sharing, or a cycle when it is an ancestor). */
type Link = { from: number; to: number; key: string }
export type Case = { root: Spec; buffers: BufferSpec[]; links: Link[] }

const g = globalThis as unknown as Record<string, unknown>
/** Typed array kinds this runtime has (Float16Array only where it exists), and DataView. */
export const VIEW_NAMES = [
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'Float16Array', 'DataView',
].filter((n) => typeof g[n] === 'function')
const ERROR_NAMES = ['Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError', 'AggregateError', 'custom']

/** Strings of random UTF-16 code units: lone surrogates included. */
const units = fc.string({ unit: fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0xd800, max: 0xdfff })).map((c) => String.fromCharCode(c)), maxLength: 12 })
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  units,
  fc.string({ minLength: 64, maxLength: 200 }),
  fc.string({ unit: 'binary', minLength: 40, maxLength: 120 }),
  fc.constantFrom('', '__proto__', '\ud800', 'a\udc00b', 'é'.repeat(40), '\ufffd'),
)
const key = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'length', '0', '7', '-1', '01', '4294967295', 'toString', '') },
  { weight: 1, arbitrary: units },
)
const number = fc.oneof(
  fc.integer(),
  fc.integer({ min: -200, max: 200 }),
  fc.double(),
  fc.constantFrom(0, -0, -0, NaN, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, -(2 ** 53), 5e-324, 1.5),
)
const bigint = fc.oneof(fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }), fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }))
const prim: fc.Arbitrary<Prim> = fc.oneof(number, bigint, text, fc.boolean(), fc.constant(null), fc.constant(undefined))
const flags = fc
  .tuple(fc.subarray(['d', 'g', 'i', 'm', 's', 'y']), fc.constantFrom('', 'u', 'v'))
  .map(([f, u]) => f.join('') + u)
const source = fc.constantFrom('a', 'ab+c', '\\d{2,}', '[a-z]*', '^x$', '(a)(?<n>b)', '', '\\/', 'é|\\u{1F600}', '.', '[\\ud800]')

const { spec } = fc.letrec<{ spec: Spec }>((tie) => {
  const child = tie('spec')
  const leaf: fc.Arbitrary<Spec> = fc.oneof(
    { weight: 6, arbitrary: prim.map((v): Spec => ({ t: 'prim', v })) },
    { weight: 1, arbitrary: fc.oneof(fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.constant(NaN)).map((ms): Spec => ({ t: 'date', ms })) },
    { weight: 1, arbitrary: fc.record({ source, flags, lastIndex: fc.nat(5) }).map((r): Spec => ({ t: 'regexp', ...r })) },
    { weight: 1, arbitrary: fc.oneof(number, text, fc.boolean(), bigint).map((v): Spec => ({ t: 'boxed', v })) },
    { weight: 1, arbitrary: fc.nat(3).map((buf): Spec => ({ t: 'arraybuffer', buf })) },
    {
      weight: 3,
      arbitrary: fc
        .record({ kind: fc.constantFrom(...VIEW_NAMES), buf: fc.nat(3), start: fc.nat(40), len: fc.option(fc.nat(20)) })
        .map((r): Spec => ({ t: 'view', ...r })),
    },
  )
  return {
    spec: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 8, arbitrary: leaf },
      {
        weight: 2,
        arbitrary: fc
          .record({ proto: fc.constantFrom('plain', 'plain', 'null', 'class'), entries: fc.array(fc.tuple(key, child), { maxLength: 5 }), getter: fc.boolean(), hidden: fc.boolean() })
          .map((r): Spec => ({ t: 'object', ...r })),
      },
      {
        weight: 2,
        arbitrary: fc
          .record({
            length: fc.oneof(fc.nat(8), fc.constant(1000)),
            items: fc.array(fc.tuple(fc.nat(10), child), { maxLength: 6 }),
            extra: fc.array(fc.tuple(key, child), { maxLength: 2 }),
            dense: fc.boolean(),
          })
          .map(({ length, items, extra, dense }): Spec =>
            dense ? { t: 'array', length: items.length, items: items.map(([, s], i) => [i, s]), extra: [] } : { t: 'array', length, items, extra },
          ),
      },
      { weight: 1, arbitrary: fc.array(fc.tuple(child, child), { maxLength: 4 }).map((entries): Spec => ({ t: 'map', entries })) },
      { weight: 1, arbitrary: fc.array(child, { maxLength: 4 }).map((items): Spec => ({ t: 'set', items })) },
      {
        weight: 1,
        arbitrary: fc
          .record({
            ctor: fc.constantFrom(...ERROR_NAMES),
            message: fc.option(text),
            cause: fc.option(child),
            stack: fc.constantFrom('keep', 'keep', 'delete', 'custom', 'number'),
            name: fc.option(fc.constantFrom('TypeError', 'Foo', 'RangeError')),
          })
          .map((r): Spec => ({ t: 'error', ...r })),
      },
    ),
  }
})

/** A value case: a value tree, the buffers its views and ArrayBuffers use, and extra links. */
export const caseArb: fc.Arbitrary<Case> = fc.record({
  root: spec.filter((s) => !(s.t === 'prim' && s.v === undefined)),
  buffers: fc.array(fc.record({ bytes: fc.uint8Array({ maxLength: 48 }), resizable: fc.boolean(), room: fc.nat(24) }), { minLength: 4, maxLength: 4 }),
  links: fc.array(fc.record({ from: fc.nat(20), to: fc.nat(20), key }), { maxLength: 3 }),
})

class Point {
  constructor(entries: [string, unknown][]) {
    for (const [k, v] of entries) Object.defineProperty(this, k, { value: v, enumerable: true, writable: true, configurable: true })
  }
  get computed(): number {
    return 1
  }
  method(): number {
    return 2
  }
}
class CustomError extends Error {}

function define(o: object, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
}

/** Builds a case's value (fresh objects every time). */
export function build(c: Case): unknown {
  const buffers = new Map<number, ArrayBuffer>()
  const containers: object[] = []
  const objects: object[] = []
  const buffer = (i: number): ArrayBuffer => {
    let b = buffers.get(i)
    if (!b) {
      const s = c.buffers[i]!
      b = s.resizable ? new (ArrayBuffer as any)(s.bytes.length, { maxByteLength: s.bytes.length + s.room }) : new ArrayBuffer(s.bytes.length)
      new Uint8Array(b!).set(s.bytes)
      buffers.set(i, b!)
    }
    return b!
  }
  const make = (s: Spec): unknown => {
    switch (s.t) {
      case 'prim':
        return s.v
      case 'object': {
        const o: object = s.proto === 'null' ? Object.create(null) : s.proto === 'class' ? new Point([]) : {}
        objects.push(o)
        containers.push(o)
        for (const [k, v] of s.entries) define(o, k, make(v))
        if (s.getter) Object.defineProperty(o, 'viaGetter', { get: () => 'got', enumerable: true, configurable: true })
        if (s.hidden) {
          Object.defineProperty(o, 'hidden', { value: 1, enumerable: false })
          ;(o as Record<symbol, unknown>)[Symbol('s')] = 2
        }
        return o
      }
      case 'array': {
        const a = new Array<unknown>(s.length)
        objects.push(a)
        containers.push(a)
        for (const [i, v] of s.items) if (i < s.length) a[i] = make(v)
        for (const [k, v] of s.extra) define(a, k === 'length' || (/^(0|[1-9]\d*)$/.test(k) && Number(k) < 2 ** 32 - 1) ? `x${k}` : k, make(v)) // extra: not an index
        return a
      }
      case 'map': {
        const m = new Map()
        objects.push(m)
        containers.push(m)
        for (const [k, v] of s.entries) m.set(make(k), make(v))
        return m
      }
      case 'set': {
        const set = new Set()
        objects.push(set)
        containers.push(set)
        for (const v of s.items) set.add(make(v))
        return set
      }
      case 'date':
        return own(objects, new Date(s.ms))
      case 'regexp': {
        let r: RegExp
        try {
          r = new RegExp(s.source, s.flags)
        } catch {
          r = new RegExp('a', s.flags)
        }
        r.lastIndex = s.lastIndex
        return own(objects, r)
      }
      case 'boxed':
        return own(objects, Object(s.v))
      case 'error': {
        const Ctor = s.ctor === 'custom' ? CustomError : (g[s.ctor] as ErrorConstructor)
        const e: Error = s.ctor === 'AggregateError'
          ? s.message === null ? new AggregateError([]) : new AggregateError([1], s.message)
          : s.message === null ? new Ctor() : new Ctor(s.message)
        objects.push(e)
        if (s.name !== null) e.name = s.name
        ;(e as unknown as Record<string, unknown>).code = 7 // an own property structuredClone drops
        if (s.stack === 'delete') delete e.stack
        else if (s.stack === 'custom') e.stack = 'custom stack'
        else if (s.stack === 'number') (e as { stack: unknown }).stack = 5
        if (s.cause !== null) Object.defineProperty(e, 'cause', { value: make(s.cause), writable: true, configurable: true, enumerable: false })
        return e
      }
      case 'arraybuffer':
        return own(objects, buffer(s.buf))
      case 'view': {
        const b = buffer(s.buf)
        const Ctor = g[s.kind] as new (b: ArrayBuffer, o?: number, l?: number) => ArrayBufferView
        const size = (Ctor as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1
        const offset = Math.floor(Math.min(s.start, b.byteLength) / size) * size
        const room = Math.floor((b.byteLength - offset) / size)
        const tracking = s.len === null && (b as { resizable?: boolean }).resizable && (b.byteLength - offset) % size === 0
        const v = tracking ? new Ctor(b, offset) : new Ctor(b, offset, Math.min(s.len ?? room, room))
        return own(objects, v)
      }
    }
  }
  const root = make(c.root)
  for (const l of c.links) {
    if (containers.length === 0 || objects.length === 0) break
    const from = containers[l.from % containers.length]!
    const to = objects[l.to % objects.length]!
    if (from instanceof Map) from.set(to, l.key)
    else if (from instanceof Set) from.add(to)
    else if (Array.isArray(from)) from.push(to)
    else define(from, l.key, to)
  }
  return root
}

function own<T extends object>(objects: object[], o: T): T {
  objects.push(o)
  return o
}

const isView = (v: unknown): v is ArrayBufferView => ArrayBuffer.isView(v)
const tag = (v: object) => Object.prototype.toString.call(v).slice(8, -1)

/** How many views in `value` reach each buffer, plus one if the buffer itself is in it. */
function bufferReach(value: unknown): Map<ArrayBuffer, number> {
  const reach = new Map<ArrayBuffer, number>()
  walk(value, (v) => {
    const b = v instanceof ArrayBuffer ? v : isView(v) ? (v.buffer as ArrayBuffer) : null
    if (b) reach.set(b, (reach.get(b) ?? 0) + 1)
  })
  return reach
}

/** Calls `visit` on every object in `value` once (own enumerable string keys, entries, cause). */
function walk(value: unknown, visit: (o: object) => void): void {
  const seen = new Set<object>()
  const go = (v: unknown) => {
    if (typeof v !== 'object' || v === null || seen.has(v)) return
    seen.add(v)
    visit(v)
    if (v instanceof Map) for (const [k, x] of v) (go(k), go(x))
    else if (v instanceof Set) for (const x of v) go(x)
    else if (v instanceof Error) {
      if (Object.prototype.hasOwnProperty.call(v, 'cause')) go((v as { cause: unknown }).cause)
    } else if (!isView(v) && !(v instanceof ArrayBuffer) && !(v instanceof Date) && !(v instanceof RegExp)) for (const k of Object.keys(v)) go((v as Record<string, unknown>)[k])
  }
  go(value)
}

/**
 * The types `value` holds, for the per-type counts: each primitive kind, each object type,
 * each typed array kind, and the structural cases (holes, extra array properties, an own
 * `__proto__`, shared buffers, shared references, cycles).
 */
export function kindsOf(value: unknown): Set<string> {
  const kinds = new Set<string>()
  const prim = (v: unknown) => {
    if (typeof v === 'number') kinds.add(Object.is(v, -0) ? 'number -0' : Number.isNaN(v) ? 'number NaN' : Number.isInteger(v) ? 'number int' : 'number float')
    else if (typeof v === 'string') kinds.add(/[\ud800-\udfff]/.test(v) && !(v as unknown as { isWellFormed(): boolean }).isWellFormed() ? 'string with lone surrogate' : 'string')
    else if (typeof v === 'bigint') kinds.add('bigint')
    else if (v === undefined) kinds.add('undefined')
    else if (typeof v !== 'object') kinds.add(typeof v)
    else if (v === null) kinds.add('null')
  }
  const seen = new Set<object>()
  const stack: object[] = []
  const go = (v: unknown) => {
    if (typeof v !== 'object' || v === null) return prim(v)
    if (stack.includes(v)) kinds.add('cycle')
    if (seen.has(v)) return kinds.add('shared reference')
    seen.add(v)
    stack.push(v)
    if (Array.isArray(v)) {
      kinds.add('Array')
      const keys = Object.keys(v)
      const indices = keys.filter((k) => /^(0|[1-9]\d*)$/.test(k) && Number(k) < 2 ** 32 - 1)
      if (indices.length < v.length) kinds.add('Array with holes')
      if (indices.length < keys.length) kinds.add('Array with extra properties')
      for (const k of keys) go((v as unknown as Record<string, unknown>)[k])
    } else if (v instanceof Map) {
      kinds.add('Map')
      for (const [k, x] of v) {
        if (typeof k === 'object' && k !== null) kinds.add('Map with object key')
        go(k)
        go(x)
      }
    } else if (v instanceof Set) {
      kinds.add('Set')
      for (const x of v) go(x)
    } else if (v instanceof Date) kinds.add(Number.isNaN(v.getTime()) ? 'Date invalid' : 'Date')
    else if (v instanceof RegExp) kinds.add('RegExp')
    else if (v instanceof Error) {
      kinds.add(`Error ${v.constructor.name}`)
      if (Object.prototype.hasOwnProperty.call(v, 'cause')) {
        kinds.add('Error with cause')
        go((v as { cause: unknown }).cause)
      }
    } else if (v instanceof ArrayBuffer) kinds.add((v as { resizable?: boolean }).resizable ? 'ArrayBuffer resizable' : 'ArrayBuffer')
    else if (isView(v)) kinds.add(tag(v))
    else if (['Number', 'String', 'Boolean', 'BigInt'].includes(tag(v))) kinds.add(`boxed ${tag(v)}`)
    else {
      const proto = Object.getPrototypeOf(v)
      kinds.add(proto === null ? 'object null-proto' : proto === Object.prototype ? 'object' : 'object class instance')
      if (Object.prototype.hasOwnProperty.call(v, '__proto__')) kinds.add('own __proto__ key')
      for (const k of Object.keys(v)) go((v as Record<string, unknown>)[k])
    }
    stack.pop()
  }
  go(value)
  for (const [, n] of bufferReach(value)) if (n > 1) kinds.add('buffer shared by views')
  return kinds
}

/**
 * The first difference between `actual` (what the codec returned) and `expected`
 * (structuredClone(original)), as "path: what", or null when they are deep-equal: same
 * types and prototypes, same own enumerable keys in the same order, holes and extra array
 * properties, -0 and NaN, Map/Set entries in order, Date time, RegExp source/flags/lastIndex,
 * Error prototype/message/cause (and stack when the original had one), boxed values, typed
 * array kind and bytes, ArrayBuffer bytes and resizability, and the same graph: an object met
 * twice in one is met twice, at the same places, in the other (shared references, cycles,
 * views sharing a buffer). One documented difference is allowed: a view whose buffer nothing
 * else in the value reaches keeps only its own bytes (offset 0, buffer of its length).
 */
export function compareClone(actual: unknown, expected: unknown, original: unknown): string | null {
  const pairs = new Map<object, object>()
  const back = new Map<object, object>()
  const reach = bufferReach(original)
  const cmp = (a: unknown, e: unknown, o: unknown, path: string): string | null => {
    if (typeof e !== 'object' || e === null) {
      if (typeof a !== typeof e) return `${path}: ${typeof a} instead of ${typeof e}`
      return Object.is(a, e) ? null : `${path}: ${show(a)} instead of ${show(e)}`
    }
    if (typeof a !== 'object' || a === null) return `${path}: ${show(a)} instead of an object`
    const paired = pairs.get(e)
    if (paired !== undefined) return paired === a ? null : `${path}: not the same object as at the first meeting`
    if (back.has(a)) return `${path}: an object already met elsewhere`
    pairs.set(e, a)
    back.set(a, e)
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(e)) return `${path}: ${tag(a)} ${a.constructor?.name} instead of ${tag(e)} ${e.constructor?.name}`
    if (Array.isArray(e)) {
      const arr = a as unknown[]
      if (arr.length !== e.length) return `${path}: length ${arr.length} instead of ${e.length}`
      return props(a, e, o, path)
    }
    if (e instanceof Map) {
      const ae = [...(a as Map<unknown, unknown>)]
      const ee = [...e]
      const oe = [...(o as Map<unknown, unknown>)]
      if (ae.length !== ee.length) return `${path}: ${ae.length} entries instead of ${ee.length}`
      for (let i = 0; i < ee.length; i++) {
        const d = cmp(ae[i]![0], ee[i]![0], oe[i]?.[0], `${path}.keys()[${i}]`) ?? cmp(ae[i]![1], ee[i]![1], oe[i]?.[1], `${path}.values()[${i}]`)
        if (d) return d
      }
      return null
    }
    if (e instanceof Set) {
      const ae = [...(a as Set<unknown>)]
      const ee = [...e]
      const oe = [...(o as Set<unknown>)]
      if (ae.length !== ee.length) return `${path}: ${ae.length} items instead of ${ee.length}`
      for (let i = 0; i < ee.length; i++) {
        const d = cmp(ae[i], ee[i], oe[i], `${path}.values()[${i}]`)
        if (d) return d
      }
      return null
    }
    if (e instanceof Date) return Object.is((a as Date).getTime(), e.getTime()) ? null : `${path}: time ${(a as Date).getTime()} instead of ${e.getTime()}`
    if (e instanceof RegExp) {
      const r = a as RegExp
      return r.source === e.source && r.flags === e.flags && r.lastIndex === e.lastIndex ? null : `${path}: ${r} (lastIndex ${r.lastIndex}) instead of ${e} (lastIndex ${e.lastIndex})`
    }
    if (e instanceof Error) {
      const err = a as Error
      const has = (x: object, k: string) => Object.prototype.hasOwnProperty.call(x, k)
      if (has(err, 'message') !== has(e, 'message') || err.message !== e.message) return `${path}.message: ${show(err.message)} instead of ${show(e.message)}`
      if (err.name !== e.name) return `${path}.name: ${err.name} instead of ${e.name}`
      if (typeof (o as Error).stack === 'string' && err.stack !== e.stack) return `${path}.stack: ${show(err.stack)} instead of ${show(e.stack)}`
      if (has(err, 'cause') !== has(e, 'cause')) return `${path}.cause: ${has(err, 'cause') ? 'present' : 'missing'}`
      if (has(e, 'cause')) return cmp((err as { cause: unknown }).cause, (e as { cause: unknown }).cause, (o as { cause: unknown }).cause, `${path}.cause`)
      return Object.keys(err).length === 0 ? null : `${path}: own enumerable keys ${Object.keys(err)}`
    }
    if (e instanceof ArrayBuffer) return buffers(a as ArrayBuffer, e, path)
    if (isView(e)) {
      const v = a as ArrayBufferView
      if (v.byteLength !== e.byteLength) return `${path}: byteLength ${v.byteLength} instead of ${e.byteLength}`
      if ((v as Uint8Array).length !== (e as Uint8Array).length) return `${path}: length ${(v as Uint8Array).length} instead of ${(e as Uint8Array).length}`
      const ab = new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
      const eb = new Uint8Array(e.buffer, e.byteOffset, e.byteLength)
      for (let i = 0; i < eb.length; i++) if (ab[i] !== eb[i]) return `${path}: byte ${i} is ${ab[i]} instead of ${eb[i]}`
      const ob = (o as ArrayBufferView).buffer as ArrayBuffer & { resizable?: boolean }
      if ((reach.get(ob) ?? 0) <= 1 && !ob.resizable) {
        // A lone view keeps its own bytes only: nothing else can observe the rest of its buffer.
        return v.byteOffset === 0 && v.buffer.byteLength === v.byteLength ? null : `${path}: a lone view should own a buffer of its length`
      }
      if (v.byteOffset !== e.byteOffset) return `${path}: byteOffset ${v.byteOffset} instead of ${e.byteOffset}`
      return cmp(v.buffer, e.buffer, (o as ArrayBufferView).buffer, `${path}.buffer`)
    }
    const boxed = tag(e)
    if (['Number', 'String', 'Boolean', 'BigInt'].includes(boxed)) {
      const av = (a as { valueOf(): unknown }).valueOf()
      const ev = (e as { valueOf(): unknown }).valueOf()
      return Object.is(av, ev) ? null : `${path}: boxed ${show(av)} instead of ${show(ev)}`
    }
    return props(a, e, o, path)
  }
  const props = (a: object, e: object, o: unknown, path: string): string | null => {
    const ak = Object.keys(a)
    const ek = Object.keys(e)
    if (ak.join('\u0000') !== ek.join('\u0000')) return `${path}: keys ${show(ak)} instead of ${show(ek)}`
    for (const k of ek) {
      const d = cmp((a as Record<string, unknown>)[k], (e as Record<string, unknown>)[k], o === null || o === undefined ? undefined : (o as Record<string, unknown>)[k], `${path}[${show(k)}]`)
      if (d) return d
    }
    return null
  }
  const buffers = (a: ArrayBuffer, e: ArrayBuffer, path: string): string | null => {
    if (a.byteLength !== e.byteLength) return `${path}: byteLength ${a.byteLength} instead of ${e.byteLength}`
    const ar = a as { resizable?: boolean; maxByteLength?: number }
    const er = e as { resizable?: boolean; maxByteLength?: number }
    if (ar.resizable !== er.resizable || ar.maxByteLength !== er.maxByteLength) return `${path}: resizable ${ar.resizable}/${ar.maxByteLength} instead of ${er.resizable}/${er.maxByteLength}`
    const x = new Uint8Array(a)
    const y = new Uint8Array(e)
    for (let i = 0; i < y.length; i++) if (x[i] !== y[i]) return `${path}: byte ${i} is ${x[i]} instead of ${y[i]}`
    return null
  }
  return cmp(actual, expected, original, 'value')
}

function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)
  if (Object.is(v, -0)) return '-0'
  try {
    return String(JSON.stringify(v) ?? v)
  } catch {
    return String(v)
  }
}

/** Adds one to each kind's count. */
export function tally(counts: Map<string, number>, kinds: Iterable<string>): void {
  for (const k of kinds) counts.set(k, (counts.get(k) ?? 0) + 1)
}

/** Every kind the generator is meant to produce (the tests assert each was seen). */
export const EXPECTED_KINDS = [
  'number int', 'number float', 'number -0', 'number NaN', 'bigint', 'string', 'string with lone surrogate', 'boolean', 'null', 'undefined',
  'object', 'object null-proto', 'object class instance', 'own __proto__ key', 'Array', 'Array with holes', 'Array with extra properties',
  'Map', 'Map with object key', 'Set', 'Date', 'Date invalid', 'RegExp', 'boxed Number', 'boxed String', 'boxed Boolean', 'boxed BigInt',
  'Error Error', 'Error EvalError', 'Error RangeError', 'Error ReferenceError', 'Error SyntaxError', 'Error TypeError', 'Error URIError',
  'Error AggregateError', 'Error CustomError', 'Error with cause', 'ArrayBuffer', 'ArrayBuffer resizable', 'buffer shared by views',
  'shared reference', 'cycle', ...VIEW_NAMES,
]
