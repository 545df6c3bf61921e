// The value encoder: a structured-clone value to the bytes of values-format.ts.
//
// One pass over the value into a growable buffer (a lone typed array goes straight to its
// output). Every object gets an ordinal when first met (an entry in Seen, which is also the
// cycle check); meeting it again writes a back reference.
// A typed array whose buffer nothing else in the value reaches is written with just its own
// bytes; if a second view of that buffer (or the buffer itself) turns up later, the encode
// runs once more with that buffer marked to be written whole, so views that share a buffer
// still share it after decoding. Unsupported values throw `Unstorable`, which each container
// on the way out annotates with where it was (no path is kept while things go well).

import * as F from './values-format.js'
import { Seen } from './values-seen.js'
import { keySegment, primitiveText, Unstorable, within } from './values-unstorable.js'
import { classify, withArticle, K_PLAIN, K_ARRAY, K_MAP, K_SET, K_DATE, K_REGEXP, K_ERROR, K_NUMBER, K_STRING, K_BOOLEAN, K_BIGINT, K_ARRAYBUFFER, K_VIEW, type Kind } from './values-classify.js'

/**
 * Objects nested deeper than this are rejected. The decoder recurses, and it must always be
 * able to read back what was stored, in any runtime: measured in Node 20 on its default stack,
 * a decoder that has not been optimized yet reads 1,300 levels of objects or errors (more of
 * arrays, Maps, Sets); this leaves it over twice that room.
 */
export const MAX_DEPTH = 512

const ObjectProto = Object.prototype
const ArrayProto = Array.prototype
const dateGetTime = Date.prototype.getTime
const getter = (proto: object, key: string) => Object.getOwnPropertyDescriptor(proto, key)!.get!
const regexpSource = getter(RegExp.prototype, 'source')
const regexpFlags = getter(RegExp.prototype, 'flags')
const numberValue = Number.prototype.valueOf
const stringValue = String.prototype.valueOf
const booleanValue = Boolean.prototype.valueOf
const bigintValue = BigInt.prototype.valueOf
const textEncoder = new TextEncoder()
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n
const MASK64 = 2n ** 64n - 1n

const isWellFormed: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)

/** Writes `n` (below 2^53) as an unsigned LEB128 varint at `buf[pos]`; returns the position after it. */
function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 128)
  }
  buf[pos++] = n
  return pos
}

function isDetached(b: ArrayBuffer): boolean {
  if (b.byteLength !== 0) return false
  const d = (b as { detached?: boolean }).detached
  if (d !== undefined) return d
  try {
    new Uint8Array(b)
    return false
  } catch {
    return true
  }
}

/**
 * Whether a view on a resizable buffer follows the buffer's length (made without a length).
 * No property tells; growing the buffer by one element and looking does, and the buffer is
 * shrunk back at once (its bytes are unchanged). A buffer already at its maximum cannot grow:
 * its views are taken as fixed-length.
 */
function tracksLength(v: ArrayBufferView, b: ArrayBuffer & { resize(n: number): void; maxByteLength: number }, elementBytes: number): boolean {
  const len = b.byteLength
  if (v.byteOffset + v.byteLength !== len || len + elementBytes > b.maxByteLength) return false
  b.resize(len + elementBytes)
  const grew = v.byteLength !== len - v.byteOffset
  b.resize(len)
  return grew
}

class Encoder {
  buf: Uint8Array = new Uint8Array(8192)
  dv: DataView = new DataView(this.buf.buffer)
  pos = 0
  /**
   * Every object met so far, with its ordinal (its index in the decoder's table); a buffer
   * written as one view's own bytes (T_VIEW) is here with -1, so a second meeting is noticed.
   */
  seen = new Seen()
  count = 0
  refs = false
  depth = 0
  /** Buffers a previous pass found shared: written whole, views refer to them. */
  whole: Set<ArrayBuffer> | null = null
  again = false
  busy = false

  encode(value: unknown): Uint8Array {
    this.busy = true
    try {
      do {
        this.pos = 1
        this.count = 0
        this.refs = false
        this.depth = 0
        this.again = false
        try {
          this.write(value)
        } finally {
          this.seen.clear()
        }
      } while (this.again)
      this.buf[0] = this.refs ? F.FORMAT_V1_REFS : F.FORMAT_V1
      return this.buf.slice(0, this.pos)
    } finally {
      this.whole = null
      this.busy = false
      if (this.buf.length > 1 << 20) this.setBuffer(new Uint8Array(8192))
    }
  }

  setBuffer(buf: Uint8Array): void {
    this.buf = buf
    this.dv = new DataView(buf.buffer)
  }

  /** Makes room for `n` more bytes (plus slack for a tag and a varint). */
  ensure(n: number): void {
    if (this.pos + n + 16 > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n + 16))
      next.set(this.buf.subarray(0, this.pos))
      this.setBuffer(next)
    }
  }

  varint(n: number): void {
    this.pos = writeVarint(this.buf, this.pos, n)
  }

  write(v: unknown): void {
    if (this.pos + 24 > this.buf.length) this.ensure(24)
    switch (typeof v) {
      case 'string':
        return this.writeString(v)
      case 'number':
        return this.writeNumber(v)
      case 'object':
        if (v === null) this.buf[this.pos++] = F.T_NULL
        else this.writeObject(v)
        return
      case 'boolean':
        this.buf[this.pos++] = v ? F.T_TRUE : F.T_FALSE
        return
      case 'undefined':
        this.buf[this.pos++] = F.T_UNDEFINED
        return
      case 'bigint':
        return this.writeBigInt(v)
      case 'function':
        throw new Unstorable('a function')
      default:
        throw new Unstorable('a symbol')
    }
  }

  writeNumber(v: number): void {
    const buf = this.buf
    if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
      if (v >= 0 && v < 0x80) {
        buf[this.pos++] = v
      } else if (v >= -32 && v < 0) {
        buf[this.pos++] = v + 0x100
      } else if (v >= -0x80 && v < 0x80) {
        buf[this.pos++] = F.T_INT8
        buf[this.pos++] = v & 0xff
      } else if (v >= -0x8000 && v < 0x8000) {
        buf[this.pos++] = F.T_INT16
        buf[this.pos++] = v & 0xff
        buf[this.pos++] = (v >> 8) & 0xff
      } else {
        buf[this.pos++] = F.T_INT32
        this.dv.setInt32(this.pos, v, true)
        this.pos += 4
      }
    } else {
      buf[this.pos++] = F.T_FLOAT64
      this.dv.setFloat64(this.pos, v, true)
      this.pos += 8
    }
  }

  writeBigInt(v: bigint): void {
    if (v >= INT64_MIN && v < INT64_MAX) {
      this.buf[this.pos++] = F.T_BIGINT64
      this.dv.setBigInt64(this.pos, v, true)
      this.pos += 8
      return
    }
    // Beyond 64 bits: the magnitude's bytes, least significant first, without high zero bytes.
    const chunks: bigint[] = []
    for (let m = v < 0n ? -v : v; m > 0n; m >>= 64n) chunks.push(m & MASK64)
    let top = 8
    while ((chunks[chunks.length - 1]! >> BigInt(8 * (top - 1))) === 0n) top--
    const n = (chunks.length - 1) * 8 + top
    this.ensure(n + 8)
    this.buf[this.pos++] = v < 0n ? F.T_BIGINT_NEG : F.T_BIGINT_POS
    this.varint(n)
    for (const c of chunks) {
      this.dv.setBigUint64(this.pos, c, true) // the last chunk's high zero bytes are overwritten next
      this.pos += 8
    }
    this.pos -= 8 - top
  }

  writeString(s: string): void {
    const n = s.length
    if (n >= 64) return this.writeLongString(s)
    this.ensure(n * 3 + 2)
    const buf = this.buf
    const start = this.pos
    const head = n < 32 ? 1 : 2
    let p = start + head
    for (let i = 0; i < n; i++) {
      let c = s.charCodeAt(i)
      if (c < 0x80) {
        buf[p++] = c
      } else if (c < 0x800) {
        buf[p++] = 0xc0 | (c >> 6)
        buf[p++] = 0x80 | (c & 0x3f)
      } else if ((c & 0xf800) === 0xd800) {
        const d = c < 0xdc00 ? s.charCodeAt(i + 1) : 0
        if ((d & 0xfc00) !== 0xdc00) return this.writeUtf16(s)
        c = 0x10000 + ((c & 0x3ff) << 10) + (d & 0x3ff)
        i++
        buf[p++] = 0xf0 | (c >> 18)
        buf[p++] = 0x80 | ((c >> 12) & 0x3f)
        buf[p++] = 0x80 | ((c >> 6) & 0x3f)
        buf[p++] = 0x80 | (c & 0x3f)
      } else {
        buf[p++] = 0xe0 | (c >> 12)
        buf[p++] = 0x80 | ((c >> 6) & 0x3f)
        buf[p++] = 0x80 | (c & 0x3f)
      }
    }
    const len = p - start - head
    if (head === 2) {
      buf[start] = F.T_STR8
      buf[start + 1] = len
    } else if (len < 32) {
      buf[start] = F.T_FIXSTR | len
    } else {
      buf.copyWithin(start + 2, start + 1, p++)
      buf[start] = F.T_STR8
      buf[start + 1] = len
    }
    this.pos = p
  }

  writeLongString(s: string): void {
    if (!isWellFormed(s)) return this.writeUtf16(s)
    const max = s.length * 3
    const head = max < 0x100 ? 2 : max < 0x10000 ? 3 : 5
    this.ensure(max + head)
    const start = this.pos
    const len = textEncoder.encodeInto(s, new Uint8Array(this.buf.buffer, start + head, max)).written
    const buf = this.buf
    if (head === 2) {
      buf[start] = F.T_STR8
      buf[start + 1] = len
    } else if (head === 3) {
      buf[start] = F.T_STR16
      this.dv.setUint16(start + 1, len, true)
    } else {
      buf[start] = F.T_STR32
      this.dv.setUint32(start + 1, len, true)
    }
    this.pos = start + head + len
  }

  /** A string with a lone surrogate, which UTF-8 cannot carry: its UTF-16 code units. */
  writeUtf16(s: string): void {
    const n = s.length
    this.ensure(n * 2)
    this.buf[this.pos++] = F.T_UTF16
    this.varint(n)
    const buf = this.buf
    let p = this.pos
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i)
      buf[p++] = c & 0xff
      buf[p++] = c >> 8
    }
    this.pos = p
  }

  writeObject(o: object): void {
    const seen = this.seen
    const ordinal = seen.get(o)
    if (ordinal !== undefined) {
      if (ordinal >= 0) {
        this.refs = true
        this.buf[this.pos++] = F.T_REF
        this.varint(ordinal)
        return
      }
      this.shared(o as ArrayBuffer) // a buffer a view wrote compactly: this pass is void
    }
    seen.set(o, this.count++)
    if (++this.depth > MAX_DEPTH) throw new Unstorable(`nested more than ${MAX_DEPTH} levels deep`)
    const proto = Object.getPrototypeOf(o) as object | null
    if (proto === ObjectProto || proto === null) this.writePlain(o)
    else if (proto === ArrayProto) this.writeArray(o as unknown[])
    else this.writeKind(o, classify(proto))
    this.depth--
  }

  writeKind(o: object, kind: Kind): void {
    switch (kind) {
      case K_PLAIN:
        return this.writePlain(o)
      case K_ARRAY:
        return this.writeArray(o as unknown[])
      case K_MAP:
        return this.writeMap(o as Map<unknown, unknown>)
      case K_SET:
        return this.writeSet(o as Set<unknown>)
      case K_DATE:
        this.buf[this.pos++] = F.T_DATE
        this.dv.setFloat64(this.pos, dateGetTime.call(o), true)
        this.pos += 8
        return
      case K_REGEXP:
        this.buf[this.pos++] = F.T_REGEXP
        this.writeString(regexpSource.call(o) as string)
        this.writeString(regexpFlags.call(o) as string)
        return
      case K_ERROR:
        return this.writeError(o as Error)
      case K_NUMBER:
        this.buf[this.pos++] = F.T_BOXED
        return this.writeNumber(numberValue.call(o))
      case K_STRING:
        this.buf[this.pos++] = F.T_BOXED
        return this.writeString(stringValue.call(o))
      case K_BOOLEAN:
        this.buf[this.pos++] = F.T_BOXED
        this.buf[this.pos++] = booleanValue.call(o) ? F.T_TRUE : F.T_FALSE
        return
      case K_BIGINT:
        this.buf[this.pos++] = F.T_BOXED
        return this.writeBigInt(bigintValue.call(o))
      case K_ARRAYBUFFER:
        return this.writeArrayBuffer(o as ArrayBuffer)
      default:
        if (typeof kind === 'string') throw new Unstorable(withArticle(kind))
        return this.writeView(o as ArrayBufferView, kind - K_VIEW)
    }
  }

  writePlain(o: object): void {
    this.buf[this.pos++] = F.T_OBJECT
    const keys = Object.keys(o)
    let i = 0
    try {
      for (; i < keys.length; i++) {
        const k = keys[i]!
        this.writeString(k)
        this.write((o as Record<string, unknown>)[k])
      }
    } catch (e) {
      within(e, keySegment(keys[i]!))
    }
    this.ensure(1)
    this.buf[this.pos++] = F.T_END
  }

  writeArray(a: unknown[]): void {
    const n = a.length
    const keys = Object.keys(a)
    let i = 0
    let key: string | undefined
    try {
      if (keys.length === n && (n === 0 || keys[n - 1] === String(n - 1))) {
        this.buf[this.pos++] = F.T_ARRAY_DENSE
        this.varint(n)
        for (; i < n; i++) this.write(a[i])
        return
      }
      let k = 0
      if (keys.length * 2 < n) {
        this.buf[this.pos++] = F.T_ARRAY_SPARSE
        this.varint(n)
      } else {
        this.buf[this.pos++] = F.T_ARRAY
        this.varint(n)
        for (; i < n; i++) {
          const v = a[i]
          if (v === undefined && !(i in a)) {
            this.ensure(1)
            this.buf[this.pos++] = F.T_HOLE
          } else {
            this.write(v)
            k++
          }
        }
      }
      // The own keys after the k present indices: every key of a sparse array, the extra
      // (non-index) properties of the others.
      for (; k < keys.length; k++) {
        key = keys[k]!
        this.writeString(key)
        this.write((a as unknown as Record<string, unknown>)[key])
      }
    } catch (e) {
      within(e, key !== undefined ? (/^\d+$/.test(key) ? `[${key}]` : keySegment(key)) : `[${i}]`)
    }
    this.ensure(1)
    this.buf[this.pos++] = F.T_END
  }

  writeMap(m: Map<unknown, unknown>): void {
    this.buf[this.pos++] = F.T_MAP
    let i = 0
    let inKey = true
    let key: unknown
    try {
      for (const [k, v] of m) {
        key = k
        inKey = true
        this.write(k)
        inKey = false
        this.write(v)
        i++
      }
    } catch (e) {
      const text = primitiveText(key)
      within(e, inKey ? `.keys()[${i}]` : text !== undefined ? `.get(${text})` : `.values()[${i}]`)
    }
    this.ensure(1)
    this.buf[this.pos++] = F.T_END
  }

  writeSet(s: Set<unknown>): void {
    this.buf[this.pos++] = F.T_SET
    let i = 0
    try {
      for (const v of s) {
        this.write(v)
        i++
      }
    } catch (e) {
      within(e, `.values()[${i}]`)
    }
    this.ensure(1)
    this.buf[this.pos++] = F.T_END
  }

  /** What structuredClone keeps of an error (V8's rules): its kind by name, own message, stack, own cause. */
  writeError(e: Error): void {
    const message = Object.getOwnPropertyDescriptor(e, 'message')
    const cause = Object.getOwnPropertyDescriptor(e, 'cause')
    const kind = Math.max(0, F.ERROR_KINDS.indexOf(String(e.name) as (typeof F.ERROR_KINDS)[number]))
    const stack = e.stack
    const fields =
      (message && 'value' in message ? F.ERROR_MESSAGE : 0) | (typeof stack === 'string' ? F.ERROR_STACK : 0) | (cause && 'value' in cause ? F.ERROR_CAUSE : 0)
    this.buf[this.pos++] = F.T_ERROR
    this.buf[this.pos++] = kind
    this.buf[this.pos++] = fields
    if (fields & F.ERROR_MESSAGE) this.writeString(String(message!.value))
    if (fields & F.ERROR_STACK) this.writeString(stack!)
    if (fields & F.ERROR_CAUSE) {
      try {
        this.write(cause!.value)
      } catch (err) {
        within(err, '.cause')
      }
    }
  }

  writeArrayBuffer(b: ArrayBuffer): void {
    if (isDetached(b)) throw new Unstorable('a detached ArrayBuffer')
    const n = b.byteLength
    this.ensure(n + 16)
    const r = b as ArrayBuffer & { resizable?: boolean; maxByteLength?: number }
    if (r.resizable) {
      this.buf[this.pos++] = F.T_ARRAYBUFFER_RESIZABLE
      this.varint(n)
      this.varint(r.maxByteLength!)
    } else {
      this.buf[this.pos++] = F.T_ARRAYBUFFER
      this.varint(n)
    }
    this.buf.set(new Uint8Array(b), this.pos)
    this.pos += n
  }

  /** A buffer met a second time after one view wrote it compactly: encode again, writing it whole. */
  shared(b: ArrayBuffer): void {
    ;(this.whole ??= new Set()).add(b)
    this.again = true
  }

  writeView(v: ArrayBufferView, kind: number): void {
    const b = v.buffer as ArrayBuffer & { resizable?: boolean; resize(n: number): void; maxByteLength: number }
    const bproto = Object.getPrototypeOf(b) as object
    if (bproto !== ArrayBuffer.prototype && classify(bproto) !== K_ARRAYBUFFER) throw new Unstorable(`a view of ${withArticle(String(b.constructor?.name))}`)
    if (isDetached(b)) throw new Unstorable(`${withArticle(F.VIEW_KINDS[kind]!)} on a detached ArrayBuffer`)
    const n = v.byteLength
    const met = this.seen.get(b)
    if (b.resizable || (met !== undefined && met >= 0) || this.whole?.has(b)) {
      this.buf[this.pos++] = F.T_VIEW_ON
      this.buf[this.pos++] = kind
      const tracking = b.resizable === true && tracksLength(v, b, F.VIEW_ELEMENT_BYTES[kind]!)
      this.writeObject(b)
      this.ensure(24)
      this.varint(v.byteOffset)
      this.varint(n)
      this.buf[this.pos++] = tracking ? 1 : 0
      return
    }
    if (met === undefined) this.seen.set(b, -1)
    else this.shared(b)
    this.ensure(n + 16)
    this.buf[this.pos++] = F.T_VIEW
    this.buf[this.pos++] = kind
    this.varint(n)
    this.buf.set(kind === 1 ? (v as Uint8Array) : new Uint8Array(b, v.byteOffset, n), this.pos)
    this.pos += n
  }
}

let shared: Encoder | undefined

/**
 * A typed array or DataView that is the whole value, on a plain buffer: written straight into
 * an output of its exact size (one copy, not two; vectors of floats are common values).
 * Undefined when the view needs the general path (a shared, resizable or detached buffer, or
 * a view type the classifier does not know).
 */
function encodeLoneView(v: ArrayBufferView): Uint8Array | undefined {
  const b = v.buffer as ArrayBuffer & { resizable?: boolean }
  const kind = classify(Object.getPrototypeOf(v) as object)
  if (typeof kind !== 'number' || kind < K_VIEW || Object.getPrototypeOf(b) !== ArrayBuffer.prototype || b.resizable || isDetached(b)) return undefined
  const n = v.byteLength
  const head = new Uint8Array(12)
  head[0] = F.FORMAT_V1
  head[1] = F.T_VIEW
  head[2] = kind - K_VIEW
  const p = writeVarint(head, 3, n)
  const out = new Uint8Array(p + n)
  out.set(head.subarray(0, p))
  out.set(new Uint8Array(b, v.byteOffset, n), p)
  return out
}

/**
 * The bytes of `value` in format version 1 (values-format.ts), with the format byte first.
 * Throws Unstorable for a value that cannot be stored. Cost: O(size of the value).
 */
export function encodeTagged(value: unknown): Uint8Array {
  if (ArrayBuffer.isView(value)) {
    const direct = encodeLoneView(value)
    if (direct !== undefined) return direct
  }
  // One encoder and buffer are reused; a getter that stores a value while we encode gets its own.
  const enc = shared === undefined || shared.busy ? new Encoder() : shared
  shared ??= enc
  return enc.encode(value)
}
