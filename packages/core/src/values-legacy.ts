// Reads the values cowdb stored before its own codec (format version 1 of values.ts): a
// Uint8Array as 0xC1 + its bytes, anything else as MessagePack written by msgpackr 2.x with
// { moreTypes, useRecords: false, int64AsType: 'bigint' } and two extensions. A small
// MessagePack reader for exactly what that wrote, so reading old stores needs no library and
// changes no library state:
//
//   nil, booleans, ints (uint8–32, int8–32; uint64/int64 are bigints), float32/64, str, bin
//     (→ Uint8Array), arrays, maps (→ plain objects; a map with a key that is not a string was a
//     Map: → Map, which msgpackr could not read back)
//   ext -1 (timestamp 32/64/96, invalid date)   ext 0 fixext1 (undefined)
//   ext 0x42 (bigint beyond 64 bits: big-endian two's complement)
//   ext 0x74 (typed array: a kind byte, then the bytes; kind 16 ArrayBuffer, 17 DataView, 255 a
//     typed array msgpackr did not know, which in practice was a Float16Array)
//   fixext1 0x63 / 0x64 + an array (the Map and Set extensions), 0x73 + array (msgpackr's Set)
//
// Strings were written as UTF-8 with lone surrogates already replaced (U+FFFD), -0 as 0: those
// losses happened at write time and cannot be undone here.

import { CorruptionError } from './errors.js'
import { Float16Bits } from './values-float16.js'
import { copyBytes, keySlice, utf8Slice } from './values-utf8.js'

/** msgpackr's typed array kinds (its `typedArrays` list), by the index it wrote. */
const KINDS = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array']
const RAW = 0xc1
const g = globalThis as unknown as Record<string, new (b: ArrayBuffer) => ArrayBufferView>

class LegacyReader {
  pos = 0
  readonly dv: DataView
  constructor(readonly src: Uint8Array) {
    this.dv = new DataView(src.buffer as ArrayBuffer, src.byteOffset, src.byteLength)
  }

  need(n: number): void {
    if (this.pos + n > this.src.length) throw new CorruptionError('cowdb: legacy value bytes end too soon')
  }

  read(): unknown {
    this.need(1)
    const t = this.src[this.pos++]!
    if (t < 0x80) return t
    if (t < 0x90) return this.map(t & 0x0f)
    if (t < 0xa0) return this.array(t & 0x0f)
    if (t < 0xc0) return this.str(t & 0x1f)
    if (t >= 0xe0) return t - 0x100
    const dv = this.dv
    const at = this.pos
    switch (t) {
      case 0xc0:
        return null
      case 0xc2:
        return false
      case 0xc3:
        return true
      case 0xc4:
        return this.bytes(this.u(1))
      case 0xc5:
        return this.bytes(this.u(2))
      case 0xc6:
        return this.bytes(this.u(4))
      case 0xc7:
        return this.ext(this.u(1))
      case 0xc8:
        return this.ext(this.u(2))
      case 0xc9:
        return this.ext(this.u(4))
      case 0xca:
        this.need(4)
        this.pos += 4
        return dv.getFloat32(at)
      case 0xcb:
        this.need(8)
        this.pos += 8
        return dv.getFloat64(at)
      case 0xcc:
        return this.u(1)
      case 0xcd:
        return this.u(2)
      case 0xce:
        return this.u(4)
      case 0xcf:
        this.need(8)
        this.pos += 8
        return dv.getBigUint64(at)
      case 0xd0:
        this.need(1)
        this.pos += 1
        return dv.getInt8(at)
      case 0xd1:
        this.need(2)
        this.pos += 2
        return dv.getInt16(at)
      case 0xd2:
        this.need(4)
        this.pos += 4
        return dv.getInt32(at)
      case 0xd3:
        this.need(8)
        this.pos += 8
        return dv.getBigInt64(at)
      case 0xd4:
        return this.ext(1)
      case 0xd5:
        return this.ext(2)
      case 0xd6:
        return this.ext(4)
      case 0xd7:
        return this.ext(8)
      case 0xd8:
        return this.ext(16)
      case 0xd9:
        return this.str(this.u(1))
      case 0xda:
        return this.str(this.u(2))
      case 0xdb:
        return this.str(this.u(4))
      case 0xdc:
        return this.array(this.u(2))
      case 0xdd:
        return this.array(this.u(4))
      case 0xde:
        return this.map(this.u(2))
      case 0xdf:
        return this.map(this.u(4))
      default:
        throw new CorruptionError(`cowdb: legacy value has an unknown MessagePack byte 0x${t.toString(16)}`)
    }
  }

  /** An unsigned big-endian integer of `n` bytes. */
  u(n: 1 | 2 | 4): number {
    this.need(n)
    const at = this.pos
    this.pos += n
    return n === 1 ? this.src[at]! : n === 2 ? this.dv.getUint16(at) : this.dv.getUint32(at)
  }

  bytes(n: number): Uint8Array {
    this.need(n)
    this.pos += n
    return copyBytes(this.src, this.pos - n, this.pos)
  }

  str(n: number): string {
    this.need(n)
    this.pos += n
    return utf8Slice(this.src, this.pos - n, n)
  }

  array(n: number): unknown[] {
    const a = new Array<unknown>(n)
    for (let i = 0; i < n; i++) a[i] = this.read()
    return a
  }

  /** A map: a plain object while every key is a string (objects were written so), else a Map. */
  map(n: number): Record<string, unknown> | Map<unknown, unknown> {
    const o: Record<string, unknown> = {}
    for (let i = 0; i < n; i++) {
      const t = this.src[this.pos]!
      let k: unknown
      if (t >= 0xa0 && t < 0xc0) {
        const len = t & 0x1f
        this.need(1 + len)
        this.pos += 1 + len
        k = keySlice(this.src, this.pos - len, len)
      } else {
        k = this.read()
      }
      if (typeof k !== 'string') return this.mapFrom(o, k, n - i)
      const v = this.read()
      if (k === '__proto__') Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true })
      else o[k] = v
    }
    return o
  }

  /** The rest of a map whose key `k` is not a string: a Map, with the entries read so far. */
  mapFrom(o: Record<string, unknown>, k: unknown, left: number): Map<unknown, unknown> {
    const m = new Map<unknown, unknown>(Object.keys(o).map((key) => [key, o[key]]))
    m.set(k, this.read())
    for (let i = 1; i < left; i++) {
      const key = this.read()
      m.set(key, this.read())
    }
    return m
  }

  ext(n: number): unknown {
    this.need(1 + n)
    const type = this.src[this.pos++]!
    const start = this.pos
    this.pos += n
    const data = this.src.subarray(start, start + n)
    switch (type) {
      case 0x00: // undefined (fixext1, one filler byte)
        return undefined
      case 0xff:
        return timestamp(data, new DataView(data.buffer as ArrayBuffer, data.byteOffset, n))
      case 0x42:
        return bigint(data)
      case 0x74:
        return typedArray(data)
      case 0x63: // Map extension: fixext1 + filler, then [[key, value], ...]
      case 0x64: // Set extension: then [value, ...]
      case 0x73: {
        const items = this.read()
        if (!Array.isArray(items)) throw new CorruptionError('cowdb: legacy Map/Set value without its entries')
        return type === 0x63 ? new Map(items as [unknown, unknown][]) : new Set(items)
      }
      default:
        throw new CorruptionError(`cowdb: legacy value has an unknown extension 0x${type.toString(16)}`)
    }
  }
}

function timestamp(d: Uint8Array, dv: DataView): Date {
  if (d.length === 4) return new Date(dv.getUint32(0) * 1000)
  if (d.length === 8) {
    // 30 bits of nanoseconds, 34 bits of seconds
    const hi = dv.getUint32(0)
    const seconds = (hi & 0x3) * 2 ** 32 + dv.getUint32(4)
    return new Date(seconds * 1000 + Math.floor((hi >>> 2) / 1e6))
  }
  if (d.length === 12) return new Date(Number(dv.getBigInt64(4)) * 1000 + Math.floor(dv.getUint32(0) / 1e6))
  return new Date(NaN)
}

/** A big-endian two's complement integer of any length. */
function bigint(d: Uint8Array): bigint {
  let v = 0n
  for (const b of d) v = (v << 8n) | BigInt(b)
  return d.length > 0 && d[0]! & 0x80 ? v - (1n << BigInt(d.length * 8)) : v
}

function typedArray(d: Uint8Array): unknown {
  const kind = d[0]
  const buffer = copyBytes(d, 1, d.length).buffer as ArrayBuffer
  if (kind === 16) return buffer
  if (kind === 17) return new DataView(buffer)
  if (kind === 255) return typeof g.Float16Array === 'function' ? new g.Float16Array(buffer) : new Float16Bits(buffer)
  const name = kind === undefined ? undefined : KINDS[kind]
  if (name === undefined) throw new CorruptionError(`cowdb: legacy value has an unknown typed array kind ${kind}`)
  return new g[name]!(buffer)
}

/**
 * The value that bytes written by cowdb's previous value codec (msgpackr) encode. Used to
 * migrate stores and read old backups; changes no global state. Throws CorruptionError on
 * bytes it cannot read. Cost: O(size).
 */
export function decodeLegacyValue(bytes: Uint8Array): unknown {
  if (bytes[0] === RAW) return copyBytes(bytes, 1, bytes.length)
  const r = new LegacyReader(bytes)
  const v = r.read()
  if (r.pos !== bytes.length) throw new CorruptionError(`cowdb: legacy value bytes do not end where the value does (${r.pos} of ${bytes.length})`)
  return v
}
