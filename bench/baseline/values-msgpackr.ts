// Value serialization: any structured-cloneable value except undefined, through msgpackr
// (a well-kept MessagePack codec that also runs in browsers and workers without its optional
// native addon). MessagePack covers numbers, strings, booleans, null, arrays, plain objects,
// binary, Date (timestamp extension) and bigint; `moreTypes` adds every typed array, ArrayBuffer
// and DataView; two small extensions below add Map and Set (msgpackr's own Map handling turns
// them into plain objects, and its structuredClone mode failed on nested Maps in v2.1.4).
// Not kept: cyclic or shared references (a cycle is rejected with TypeError) and -0 (comes back 0).

import { Packr, addExtension } from 'msgpackr'

addExtension({ Class: Map, type: 0x63, write: (m: Map<unknown, unknown>) => [...m], read: (e: [unknown, unknown][]) => new Map(e) })
addExtension({ Class: Set, type: 0x64, write: (s: Set<unknown>) => [...s], read: (e: unknown[]) => new Set(e) })

const packr = new Packr({ moreTypes: true, useRecords: false, int64AsType: 'bigint', largeBigIntToFloat: false } as ConstructorParameters<typeof Packr>[0])

/**
 * A Uint8Array value is stored as its bytes behind 0xC1, a byte MessagePack never uses, so the
 * most common binary values skip the codec both ways.
 */
const RAW = 0xc1

/** Serializes a value. Throws TypeError for undefined, functions, symbols and cycles. Cost: O(size). */
export function encodeValue(value: unknown): Uint8Array {
  if (value === undefined) throw new TypeError('cowdb: undefined is not a storable value (use delete)')
  if (value instanceof Uint8Array && value.constructor === Uint8Array) {
    const out = new Uint8Array(value.length + 1)
    out[0] = RAW
    out.set(value, 1)
    return out
  }
  checkStorable(value, new Set())
  // msgpackr returns a view of its working buffer; copy so later packs cannot touch it.
  return packr.pack(value).slice()
}

/** Deserializes a value written by encodeValue. Cost: O(size). */
export function decodeValue(bytes: Uint8Array): unknown {
  if (bytes[0] === RAW) return bytes.slice(1)
  return packr.unpack(bytes)
}

function checkStorable(v: unknown, path: Set<object>): void {
  const t = typeof v
  if (t === 'function' || t === 'symbol') throw new TypeError(`cowdb: a ${t} is not a storable value`)
  if (t !== 'object' || v === null) return
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date) return
  const o = v as object
  if (path.has(o)) throw new TypeError('cowdb: cyclic values are not supported')
  path.add(o)
  if (v instanceof Map) {
    for (const [k, x] of v) {
      checkStorable(k, path)
      checkStorable(x, path)
    }
  } else if (v instanceof Set) {
    for (const x of v) checkStorable(x, path)
  } else if (Array.isArray(v)) {
    for (const x of v) checkStorable(x, path)
  } else {
    const proto = Object.getPrototypeOf(o)
    if (proto !== Object.prototype && proto !== null) {
      const name = (o as { constructor?: { name?: string } }).constructor?.name ?? 'object'
      throw new TypeError(`cowdb: a ${name} is not a storable value (use plain objects, arrays, Map, Set, Date, typed arrays)`)
    }
    for (const k in o) checkStorable((o as Record<string, unknown>)[k], path)
  }
  path.delete(o)
}
