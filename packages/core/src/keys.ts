// Order-preserving key encoding: comparing two encoded keys byte by byte gives IndexedDB's key
// order (numbers < dates < strings < binary < arrays; numbers by value; dates by time value;
// strings by UTF-16 code unit, as JS `<`; binary by bytes; arrays element by element, a prefix
// first), and decoding gives back the JS type. Format version 2 (docs/keys.md):
//
//   number  0x10, 8 bytes: big-endian float64 with the sign bit flipped (all bits for negatives)
//   date    0x18, 8 bytes: its time value, as a number
//   string  0x20, each UTF-16 code unit on its own as the 1-3 byte UTF-8 form of that unit
//           (so a surrogate is ED A0..BF xx, as in CESU-8), 0x00 escaped as 0x00 0xFF, end 0x00 0x00
//   binary  0x30, the bytes, 0x00 escaped as 0x00 0xFF, end 0x00 0x00
//   array   0x40, the elements, end 0x00 (below every tag, so a prefix sorts first)
//
// Why per code unit: UTF-8 byte order is the order of the numbers it encodes, so encoding code
// units (not code points) gives code unit order, where proper UTF-8 would put U+10000 (a
// surrogate pair, D800 DC00) after U+FFFF. It also keeps lone surrogates, and every key without
// an astral character has the same bytes as in format 1, which wrote astral characters as 4-byte
// UTF-8. The decoder still reads those (isLegacyKey and reencodeKey serve the migration). The
// escape keeps "a" < "a\0" < "a\x01".

import type { Key, Range } from './types.js'
import type { Alloc } from './bytes.js'

/** An encoded key range; a missing bound is open. */
export type KeyRange = { lo?: Uint8Array; loInclusive: boolean; hi?: Uint8Array; hiInclusive: boolean }

const NUMBER = 0x10
const DATE = 0x18
const STRING = 0x20
const BINARY = 0x30
const ARRAY = 0x40
const END = 0x00
/** Longest encoded key accepted. */
export const MAX_KEY_BYTES = 2048
const MAX_DEPTH = 32

/** The error for a key over the limit; `atLeast` when encoding stopped before the end. */
const tooLong = (n: number, atLeast = false) => new TypeError(`cowdb: key is ${atLeast ? 'over ' : ''}${n} bytes encoded; the limit is ${MAX_KEY_BYTES}`)

class KeyWriter {
  n = 0
  constructor(
    public buf: Uint8Array,
    /** Encoded bytes allowed (Infinity when re-encoding keys already stored). */
    readonly limit = MAX_KEY_BYTES,
  ) {}
  /** Makes room for `k` more bytes (callers bound k: at most 3 bytes per unit of a key under the limit). */
  room(k: number) {
    if (this.n + k <= this.buf.length) return
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.n + k))
    b.set(this.buf.subarray(0, this.n))
    this.buf = b
  }
  /** A float64 in 8 order-preserving bytes. */
  float(x: number) {
    f64.setFloat64(0, x === 0 ? 0 : x) // -0 is 0
    const neg = f64.getUint8(0) & 0x80
    this.room(8)
    for (let i = 0; i < 8; i++) this.buf[this.n++] = neg ? ~f64.getUint8(i) & 0xff : i === 0 ? f64.getUint8(0) ^ 0x80 : f64.getUint8(i)
  }
  /** Content bytes of a binary key, 0x00 escaped, then the terminator. */
  bytes(b: Uint8Array) {
    if (this.n + b.length > this.limit) throw tooLong(this.n + b.length, true) // at least a byte each
    this.room(2 * b.length + 2)
    const buf = this.buf
    let n = this.n
    for (let i = 0; i < b.length; i++) {
      const c = b[i]!
      buf[n++] = c
      if (c === 0) buf[n++] = 0xff
    }
    buf[n++] = END
    buf[n++] = END
    this.n = n
  }
  /** A string's code units, 0x00 escaped, then the terminator. */
  units(s: string) {
    if (this.n + s.length > this.limit) throw tooLong(this.n + s.length, true) // at least a byte each
    this.room(3 * s.length + 2)
    const buf = this.buf
    let n = this.n
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i)
      if (c < 0x80) {
        buf[n++] = c
        if (c === 0) buf[n++] = 0xff
      } else if (c < 0x800) {
        buf[n++] = 0xc0 | (c >> 6)
        buf[n++] = 0x80 | (c & 63)
      } else {
        buf[n++] = 0xe0 | (c >> 12)
        buf[n++] = 0x80 | ((c >> 6) & 63)
        buf[n++] = 0x80 | (c & 63)
      }
    }
    buf[n++] = END
    buf[n++] = END
    this.n = n
  }
}

const f64 = new DataView(new ArrayBuffer(8))
/** encodeKey's buffer: a key stops at the limit plus one string or binary (3 bytes a unit) past it. */
const scratch = new Uint8Array(4 * MAX_KEY_BYTES + 64)
let scratchBusy = false

function write(w: KeyWriter, key: unknown, depth: number, path: unknown[]): void {
  if (typeof key === 'number') {
    if (Number.isNaN(key)) throw new TypeError('cowdb: key is NaN; NaN is not a valid key')
    w.room(1)
    w.buf[w.n++] = NUMBER
    w.float(key)
    return
  }
  if (typeof key === 'string') {
    w.room(1)
    w.buf[w.n++] = STRING
    w.units(key)
    return
  }
  if (key instanceof Uint8Array) {
    w.room(1)
    w.buf[w.n++] = BINARY
    w.bytes(key)
    return
  }
  if (Array.isArray(key)) {
    if (depth >= MAX_DEPTH) throw new TypeError(`cowdb: key arrays nest deeper than ${MAX_DEPTH}`)
    if (path.includes(key)) throw new TypeError('cowdb: key array contains itself')
    path.push(key)
    w.room(1)
    w.buf[w.n++] = ARRAY
    for (let i = 0; i < key.length; i++) {
      if (!(i in key)) throw new TypeError(`cowdb: key array has a hole at index ${i}`)
      write(w, key[i], depth + 1, path)
      if (w.n > w.limit) throw tooLong(w.n, true)
    }
    w.room(1)
    w.buf[w.n++] = END
    path.pop()
    return
  }
  if (key instanceof Date) {
    const t = key.getTime()
    if (Number.isNaN(t)) throw new TypeError('cowdb: key is an invalid Date (its time is NaN)')
    w.room(1)
    w.buf[w.n++] = DATE
    w.float(t)
    return
  }
  throw new TypeError(`cowdb: a key must be a number, Date, string, Uint8Array or array of those; got ${describe(key)}`)
}

/** What a rejected key is, for the error message. */
function describe(key: unknown): string {
  if (key === null) return 'null'
  if (typeof key !== 'object') return typeof key
  const name = (key as object).constructor?.name ?? 'object'
  if (ArrayBuffer.isView(key) || key instanceof ArrayBuffer) return `${name} (a binary key is a Uint8Array: wrap it in new Uint8Array(...))`
  return name === 'Object' ? 'object' : name
}

/** Encodes a key; throws TypeError naming the problem. Cost: O(key size). */
export function encodeKey(key: Key): Uint8Array {
  return encodeKeyWith(key, undefined)
}

/** encodeKey into a range from `alloc` (a batch's shared buffers, bytes.ts Slab). Cost: O(key size). */
export function encodeKeyWith(key: Key, alloc: Alloc | undefined): Uint8Array {
  if (typeof key === 'string' && key.length <= MAX_KEY_BYTES - 3) {
    // Fast path: a string with no 0x00 and no non-ASCII needs no escaping.
    const out = alloc ? alloc(key.length + 3) : new Uint8Array(key.length + 3)
    out[0] = STRING
    let i = 0
    for (; i < key.length; i++) {
      const c = key.charCodeAt(i)
      if (c === 0 || c > 0x7f) break
      out[i + 1] = c
    }
    if (i === key.length) return out // the two trailing zeros are the terminator
  }
  // A key under the limit never outgrows the scratch buffer; a nested call (a Proxy's trap
  // encoding a key) gets its own.
  const shared = !scratchBusy
  scratchBusy = true
  try {
    const w = new KeyWriter(shared ? scratch : new Uint8Array(64))
    write(w, key, 0, [])
    if (w.n > MAX_KEY_BYTES) throw tooLong(w.n)
    if (!alloc) return w.buf.slice(0, w.n)
    const out = alloc(w.n)
    out.set(w.buf.subarray(0, w.n))
    return out
  } finally {
    if (shared) scratchBusy = false
  }
}

/**
 * Decodes an encoded key back to the JS value it came from. Also reads format 1's 4-byte UTF-8
 * sequences (astral characters in keys written before format 2). Cost: O(key size).
 */
export function decodeKey(bytes: Uint8Array): Key {
  const r = { at: 0 }
  const k = read(bytes, r)
  if (r.at !== bytes.length) throw new RangeError('cowdb: trailing bytes after key')
  return k
}

function readFloat(b: Uint8Array, r: { at: number }): number {
  if (r.at + 8 > b.length) throw new RangeError('cowdb: key ends inside a number')
  const neg = (b[r.at]! & 0x80) === 0
  for (let i = 0; i < 8; i++) f64.setUint8(i, neg ? ~b[r.at + i]! & 0xff : i === 0 ? b[r.at]! ^ 0x80 : b[r.at + i]!)
  r.at += 8
  return f64.getFloat64(0)
}

function read(b: Uint8Array, r: { at: number }): Key {
  const tag = b[r.at++]
  if (tag === NUMBER) return readFloat(b, r)
  if (tag === STRING) return readString(b, r)
  if (tag === BINARY) return readBinary(b, r)
  if (tag === ARRAY) {
    const arr: Key[] = []
    while (b[r.at] !== END) {
      if (r.at >= b.length) throw new RangeError('cowdb: key ends inside an array')
      arr.push(read(b, r))
    }
    r.at++
    return arr
  }
  if (tag === DATE) return new Date(readFloat(b, r))
  throw new RangeError(`cowdb: bad key tag ${tag}`)
}

const fromCodes = (codes: ArrayLike<number>) => String.fromCharCode.apply(null, codes as number[])
let codeScratch = new Uint16Array(MAX_KEY_BYTES)

/** A string from per-code-unit UTF-8 (and format 1's 4-byte sequences), up to its terminator. */
function readString(b: Uint8Array, r: { at: number }): string {
  const start = r.at
  let i = start
  while (i < b.length && b[i]! !== 0 && b[i]! < 0x80) i++
  if (b[i] === 0 && b[i + 1] === END) {
    r.at = i + 2 // ASCII without NUL: the bytes are the code units
    if (i - start > 16) return fromCodes(b.subarray(start, i))
    let out = '' // short: cheaper than a view and an apply
    for (let j = start; j < i; j++) out += String.fromCharCode(b[j]!)
    return out
  }
  if (codeScratch.length < b.length - start) codeScratch = new Uint16Array(b.length - start)
  const codes = codeScratch
  let n = 0
  for (i = start; ; ) {
    const c = b[i]
    if (c === undefined) throw new RangeError('cowdb: key ends inside a string')
    if (c < 0x80) {
      if (c === 0) {
        if (b[i + 1] === END) break
        i++ // 0x00 0xFF is a NUL
      }
      codes[n++] = c
      i++
    } else if (c < 0xe0) {
      codes[n++] = ((c & 31) << 6) | (b[i + 1]! & 63)
      i += 2
    } else if (c < 0xf0) {
      codes[n++] = ((c & 15) << 12) | ((b[i + 1]! & 63) << 6) | (b[i + 2]! & 63)
      i += 3
    } else {
      const cp = ((c & 7) << 18) | ((b[i + 1]! & 63) << 12) | ((b[i + 2]! & 63) << 6) | (b[i + 3]! & 63)
      codes[n++] = 0xd800 + ((cp - 0x10000) >> 10)
      codes[n++] = 0xdc00 + ((cp - 0x10000) & 0x3ff)
      i += 4
    }
  }
  r.at = i + 2
  return fromCodes(codes.subarray(0, n))
}

/** A binary key's bytes (unescaped, a copy), up to its terminator. */
function readBinary(b: Uint8Array, r: { at: number }): Uint8Array {
  const start = r.at
  let zeros = 0
  let i = start
  for (; ; i++) {
    if (i >= b.length) throw new RangeError('cowdb: key ends inside a binary')
    if (b[i] === 0) {
      if (b[i + 1] === END) break
      zeros++
      i++
    }
  }
  r.at = i + 2
  if (zeros === 0) return b.slice(start, i)
  const out = new Uint8Array(i - start - zeros)
  for (let j = start, n = 0; j < i; j++) if ((out[n++] = b[j]!) === 0) j++
  return out
}

/**
 * Whether an encoded key was written in format 1 with bytes that format 2 writes differently:
 * a string (at any depth) holding a 4-byte UTF-8 sequence (an astral character). Such a key
 * sorts and compares wrongly until reencodeKey rewrites it. Cost: O(key size).
 */
export function isLegacyKey(bytes: Uint8Array): boolean {
  let at = 0
  let depth = 0
  while (at < bytes.length) {
    const tag = bytes[at++]
    if (tag === NUMBER || tag === DATE) at += 8
    else if (tag === ARRAY) depth++
    else if (tag === END && depth > 0) depth--
    else if (tag === STRING || tag === BINARY) {
      for (;;) {
        const c = bytes[at++]
        if (c === undefined) return false
        if (c === 0) {
          if (bytes[at++] === END) break
        } else if (c >= 0xf0 && tag === STRING) return true
      }
    } else return false
  }
  return false
}

/**
 * A key's format-2 encoding from its format-1 bytes (`bytes` itself when they are the same).
 * The result can pass MAX_KEY_BYTES (an astral character grows from 4 to 6 bytes): a key the
 * migration must keep, though encodeKey would refuse it. Cost: O(key size).
 */
export function reencodeKey(bytes: Uint8Array): Uint8Array {
  if (!isLegacyKey(bytes)) return bytes
  const w = new KeyWriter(new Uint8Array(3 * bytes.length), Infinity)
  write(w, decodeKey(bytes), 0, [])
  return w.buf.slice(0, w.n)
}

/** Bytewise comparison of encoded keys (<0, 0, >0). Cost: O(common prefix). */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!
    if (d !== 0) return d
  }
  return a.length - b.length
}

/** Encodes a user range; TypeError when both gt and gte (or lt and lte) are given or a bound is bad. Cost: O(size of the bounds). */
export function encodeRange(range: Range | undefined): KeyRange {
  if (range === undefined) return { loInclusive: true, hiInclusive: true }
  if (range === null || typeof range !== 'object') throw new TypeError('cowdb: a range must be an object like { gte, lt }')
  if (range.gt !== undefined && range.gte !== undefined) throw new TypeError('cowdb: a range takes gt or gte, not both')
  if (range.lt !== undefined && range.lte !== undefined) throw new TypeError('cowdb: a range takes lt or lte, not both')
  const r: KeyRange = { loInclusive: range.gt === undefined, hiInclusive: range.lt === undefined }
  const lo = range.gt ?? range.gte
  const hi = range.lt ?? range.lte
  if (lo !== undefined) r.lo = encodeKey(lo)
  if (hi !== undefined) r.hi = encodeKey(hi)
  return r
}

/** Whether an encoded key is inside an encoded range. Cost: O(key size). */
export function keyInRange(k: Uint8Array, r: KeyRange): boolean {
  if (r.lo) {
    const c = compareKeys(k, r.lo)
    if (c < 0 || (c === 0 && !r.loInclusive)) return false
  }
  if (r.hi) {
    const c = compareKeys(k, r.hi)
    if (c > 0 || (c === 0 && !r.hiInclusive)) return false
  }
  return true
}

/**
 * Exactly the string keys starting with `prefix`: from the prefix up to the prefix with its last
 * code unit below U+FFFF raised by one (code units of U+FFFF at the end are dropped first); when
 * there is none (an empty prefix, or only U+FFFF), up to the smallest binary key, past every
 * string. Cost: O(prefix length).
 */
export function prefixRange(prefix: string): Range {
  if (typeof prefix !== 'string') throw new TypeError(`cowdb: a prefix is a string, got ${typeof prefix}`)
  let end = prefix.length
  while (end > 0 && prefix.charCodeAt(end - 1) === 0xffff) end--
  if (end === 0) return { gte: prefix, lt: new Uint8Array(0) }
  return { gte: prefix, lt: prefix.slice(0, end - 1) + String.fromCharCode(prefix.charCodeAt(end - 1) + 1) }
}
