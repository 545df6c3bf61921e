// The value decoder: the bytes of values-format.ts back to a structured-clone value.
//
// Objects are created before their contents are read, and, when the value has back
// references (format byte FORMAT_V1_REFS), put in a table in the order met, the same order
// the encoder numbered them in; a value without references skips the table.

import * as F from './values-format.js'
import { Float16Bits } from './values-float16.js'
import { copyBytes, keySlice, utf8Slice } from './values-utf8.js'

type ViewCtor = new (buffer: ArrayBuffer, byteOffset?: number, length?: number) => ArrayBufferView

const g = globalThis as unknown as Record<string, unknown>
/** Constructors by VIEW_KINDS index; Float16Bits where the runtime has no Float16Array. */
const viewCtors: ViewCtor[] = F.VIEW_KINDS.map((name, i) =>
  i === F.KIND_FLOAT16 && typeof g.Float16Array !== 'function' ? Float16Bits : (g[name] as ViewCtor),
)
const errorCtors = F.ERROR_KINDS.map((name) => g[name] as ErrorConstructor)
const hidden = (value: unknown) => ({ value, writable: true, enumerable: false, configurable: true })
const visible = (value: unknown) => ({ value, writable: true, enumerable: true, configurable: true })

/** Thrown on bytes that are not a value of this format (the caller turns it into CorruptionError). */
export class BadValueBytes extends Error {}

// The decoder's state: module variables rather than an object, so that a short value costs no
// allocation beyond itself (a DataView is made only for a value that has a float in it).
// decodeTagged saves and restores them, so a decode inside a decode cannot mix them up.
let src: Uint8Array = new Uint8Array(0)
let pos = 0
let view: DataView | null = null
/** Objects in the order met, or null when the value has no back references. */
let table: unknown[] | null = null

function dv(): DataView {
  return (view ??= new DataView(src.buffer as ArrayBuffer, src.byteOffset, src.byteLength))
}

function varint(): number {
  let b = src[pos++]!
  if (b < 0x80) return b
  let n = b & 0x7f
  let scale = 128
  do {
    b = src[pos++]!
    n += (b & 0x7f) * scale
    scale *= 128
  } while (b >= 0x80)
  return n
}

/** A copy of the next `n` bytes. */
function take(n: number): Uint8Array {
  const start = pos
  if (start + n > src.length) throw new BadValueBytes('value bytes end too soon')
  pos += n
  return copyBytes(src, start, start + n)
}

function read(): unknown {
  const t = src[pos++]!
  if (t < 0x80) return t
  if (t === 0x87) {
    // T_FLOAT64, the commonest tag after small integers and short strings: read before the switch.
    pos += 8
    return (view ?? dv()).getFloat64(pos - 8, true)
  }
  if (t >= F.T_FIXSTR) {
    if (t < 0xc0) {
      const start = pos
      pos += t & 0x1f
      return utf8Slice(src, start, t & 0x1f)
    }
    if (t >= 0xe0) return t - 0x100
    throw new BadValueBytes(`unknown value tag 0x${t.toString(16)}`)
  }
  return readTagged(t)
}

/** A string item, as a property name (short names come from the key cache). */
function key(): string {
  const t = src[pos]!
  if (t >= F.T_FIXSTR && t < 0xc0) {
    const start = ++pos
    pos += t & 0x1f
    return keySlice(src, start, t & 0x1f)
  }
  const k = read()
  if (typeof k !== 'string') throw new BadValueBytes('a property name that is not a string')
  return k
}

function readTagged(t: number): unknown {
  switch (t) {
    case 0x80: // T_UNDEFINED
      return undefined
    case 0x81: // T_NULL
      return null
    case 0x82: // T_FALSE
      return false
    case 0x83: // T_TRUE
      return true
    case 0x84: // T_INT8
      return (src[pos++]! << 24) >> 24
    case 0x85: // T_INT16
      return ((src[pos++]! | (src[pos++]! << 8)) << 16) >> 16
    case 0x86: // T_INT32
      pos += 4
      return src[pos - 4]! | (src[pos - 3]! << 8) | (src[pos - 2]! << 16) | (src[pos - 1]! << 24)
    case 0x87: // T_FLOAT64
      pos += 8
      return (view ?? dv()).getFloat64(pos - 8, true)
    case 0x88: // T_BIGINT64
      pos += 8
      return (view ?? dv()).getBigInt64(pos - 8, true)
    case 0x89: // T_BIGINT_POS
    case 0x8a: { // T_BIGINT_NEG
      // Magnitude bytes, least significant first: the top n % 8 bytes one by one, then 64 bits at a time.
      const n = varint()
      let v = 0n
      let i = n
      for (; i % 8 !== 0; i--) v = (v << 8n) | BigInt(src[pos + i - 1]!)
      for (; i > 0; i -= 8) v = (v << 64n) | (view ?? dv()).getBigUint64(pos + i - 8, true)
      pos += n
      return t === F.T_BIGINT_NEG ? -v : v
    }
    case 0x8b: // T_STR8
      return string(src[pos++]!)
    case 0x8c: // T_STR16
      pos += 2
      return string((view ?? dv()).getUint16(pos - 2, true))
    case 0x8d: // T_STR32
      pos += 4
      return string((view ?? dv()).getUint32(pos - 4, true))
    case 0x8e: { // T_UTF16
      const n = varint()
      const units = new Array<number>(n)
      for (let i = 0; i < n; i++, pos += 2) units[i] = src[pos]! | (src[pos + 1]! << 8)
      let s = ''
      for (let i = 0; i < n; i += 4096) s += String.fromCharCode(...units.slice(i, i + 4096))
      return s
    }
    case 0x90: { // T_OBJECT
      const o: Record<string, unknown> = {}
      table?.push(o)
      props(o)
      return o
    }
    case 0x91: { // T_ARRAY_DENSE
      const n = varint()
      const a = new Array<unknown>(n)
      table?.push(a)
      for (let i = 0; i < n; i++) a[i] = read()
      return a
    }
    case 0x92: { // T_ARRAY
      const n = varint()
      const a = new Array<unknown>(n)
      table?.push(a)
      for (let i = 0; i < n; i++) {
        if (src[pos] === F.T_HOLE) pos++
        else a[i] = read()
      }
      props(a as unknown as Record<string, unknown>)
      return a
    }
    case 0x93: { // T_ARRAY_SPARSE
      const a = new Array<unknown>(varint())
      table?.push(a)
      props(a as unknown as Record<string, unknown>)
      return a
    }
    case 0x94: { // T_MAP
      const m = new Map<unknown, unknown>()
      table?.push(m)
      while (src[pos] !== F.T_END) {
        const k = read()
        m.set(k, read())
      }
      pos++
      return m
    }
    case 0x95: { // T_SET
      const s = new Set<unknown>()
      table?.push(s)
      while (src[pos] !== F.T_END) s.add(read())
      pos++
      return s
    }
    case 0x96: { // T_DATE
      pos += 8
      const d = new Date((view ?? dv()).getFloat64(pos - 8, true))
      table?.push(d)
      return d
    }
    case 0x97: { // T_REGEXP
      const source = read() as string
      const r = new RegExp(source, read() as string)
      table?.push(r)
      return r
    }
    case 0x98: { // T_BOXED
      const slot = reserve()
      const o = Object(read()) as object
      if (slot >= 0) table![slot] = o
      return o
    }
    case 0x99: // T_ERROR
      return error()
    case 0x9a: { // T_ARRAYBUFFER
      const b = take(varint()).buffer
      table?.push(b)
      return b
    }
    case 0x9b: { // T_ARRAYBUFFER_RESIZABLE
      const n = varint()
      const b = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer)(n, { maxByteLength: varint() })
      new Uint8Array(b).set(src.subarray(pos, pos + n))
      pos += n
      table?.push(b)
      return b
    }
    case 0x9c: { // T_VIEW
      const Ctor = viewCtor(src[pos++]!)
      const bytes = take(varint())
      const v = Ctor === Uint8Array ? bytes : new Ctor(bytes.buffer as ArrayBuffer)
      table?.push(v)
      return v
    }
    case 0x9d: { // T_VIEW_ON
      const Ctor = viewCtor(src[pos++]!)
      const slot = reserve()
      const b = read()
      if (!(b instanceof ArrayBuffer)) throw new BadValueBytes('a view on something that is not an ArrayBuffer')
      const offset = varint()
      const length = varint()
      const tracking = src[pos++] === 1
      const size = Ctor === DataView ? 1 : (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT
      const v = tracking ? new Ctor(b, offset) : new Ctor(b, offset, length / size)
      if (slot >= 0) table![slot] = v
      return v
    }
    case 0x9e: { // T_REF
      const i = varint()
      if (table === null || i >= table.length) throw new BadValueBytes('a back reference to nothing')
      return table[i]
    }
    default:
      throw new BadValueBytes(`unknown value tag 0x${t.toString(16)}`)
  }
}

function string(n: number): string {
  const start = pos
  pos += n
  return utf8Slice(src, start, n)
}

/** Own properties until T_END; `__proto__` is defined as an own property, not a prototype. */
function props(o: Record<string, unknown>): void {
  while (src[pos] !== F.T_END) {
    const k = key()
    const v = read()
    if (k === '__proto__') Object.defineProperty(o, k, visible(v))
    else o[k] = v
  }
  pos++
}

/** A table slot for an object whose contents must be read before it can be made. */
function reserve(): number {
  if (table === null) return -1
  return table.push(undefined) - 1
}

function viewCtor(kind: number): ViewCtor {
  const Ctor = viewCtors[kind]
  if (Ctor === undefined) throw new BadValueBytes(`unknown typed array kind ${kind}`)
  return Ctor
}

function error(): Error {
  const Ctor = errorCtors[src[pos++]!] ?? Error
  const fields = src[pos++]!
  const slot = reserve()
  const message = fields & F.ERROR_MESSAGE ? (read() as string) : undefined
  const e = message === undefined ? new Ctor() : new Ctor(message)
  // Assigned, not defined: redefining `stack` makes V8 format the stack captured by `new`, ~40 µs.
  if (fields & F.ERROR_STACK) e.stack = read() as string
  if (slot >= 0) table![slot] = e
  if (fields & F.ERROR_CAUSE) Object.defineProperty(e, 'cause', hidden(read()))
  return e
}

/**
 * The value that `bytes` (format FORMAT_V1 or FORMAT_V1_REFS, from encodeTagged) encode.
 * Throws BadValueBytes on bytes of another format. Cost: O(size).
 */
export function decodeTagged(bytes: Uint8Array): unknown {
  const format = bytes[0]
  if (format !== F.FORMAT_V1 && format !== F.FORMAT_V1_REFS) throw new BadValueBytes(`unknown value format 0x${(format ?? 0).toString(16)}`)
  const [src0, pos0, view0, table0] = [src, pos, view, table]
  src = bytes
  pos = 1
  view = null
  table = format === F.FORMAT_V1_REFS ? [] : null
  try {
    const v = read()
    if (pos !== bytes.length) throw new BadValueBytes(`value bytes do not end where the value does (${pos} of ${bytes.length})`)
    return v
  } finally {
    src = src0
    pos = pos0
    view = view0
    table = table0
  }
}
