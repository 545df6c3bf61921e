// Order-preserving key encoding: comparing two encoded keys byte by byte gives IndexedDB's key
// order (numbers < strings < binary < arrays; numbers by value; strings by code point; binary
// by bytes; arrays element by element, a prefix first), and decoding gives back the JS type.
//
//   number  0x10, 8 bytes: big-endian float64 with the sign bit flipped (all bits for negatives)
//   string  0x20, UTF-8 bytes (lone surrogates as WTF-8), 0x00 escaped as 0x00 0xFF, end 0x00 0x00
//   binary  0x30, the bytes, 0x00 escaped as 0x00 0xFF, end 0x00 0x00
//   array   0x40, the elements, end 0x00 (below every tag, so a prefix sorts first)
//
// UTF-8 byte order is code point order, and the escape keeps "a" < "a\0" < "a\x01".

import type { Key, Range } from './types.js'

/** An encoded key range; a missing bound is open. */
export type KeyRange = { lo?: Uint8Array; loInclusive: boolean; hi?: Uint8Array; hiInclusive: boolean }

const NUMBER = 0x10
const STRING = 0x20
const BINARY = 0x30
const ARRAY = 0x40
const END = 0x00
/** Longest encoded key accepted. */
export const MAX_KEY_BYTES = 2048
const MAX_DEPTH = 32

class KeyWriter {
  buf = new Uint8Array(64)
  n = 0
  room(k: number) {
    if (this.n + k <= this.buf.length) return
    if (this.n + k > MAX_KEY_BYTES + 16) throw new TypeError(`cowdb: key is over ${MAX_KEY_BYTES} bytes encoded; the limit is ${MAX_KEY_BYTES}`)
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.n + k))
    b.set(this.buf.subarray(0, this.n))
    this.buf = b
  }
  byte(b: number) {
    this.room(1)
    this.buf[this.n++] = b
  }
  /** A content byte of a string or binary key: 0x00 escaped. */
  content(b: number) {
    if (b === 0) {
      this.room(2)
      this.buf[this.n++] = 0
      this.buf[this.n++] = 0xff
    } else this.byte(b)
  }
}

const f64 = new DataView(new ArrayBuffer(8))

function write(w: KeyWriter, key: unknown, depth: number, path: unknown[]): void {
  if (typeof key === 'number') {
    if (Number.isNaN(key)) throw new TypeError('cowdb: key is NaN; NaN is not a valid key')
    f64.setFloat64(0, key === 0 ? 0 : key) // -0 is 0
    const hi = f64.getUint8(0)
    const neg = hi & 0x80
    w.byte(NUMBER)
    w.room(8)
    for (let i = 0; i < 8; i++) w.buf[w.n++] = neg ? ~f64.getUint8(i) & 0xff : i === 0 ? f64.getUint8(0) ^ 0x80 : f64.getUint8(i)
    return
  }
  if (typeof key === 'string') {
    w.byte(STRING)
    for (let i = 0; i < key.length; i++) {
      let c = key.charCodeAt(i)
      if (c < 0x80) {
        w.content(c)
        continue
      }
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < key.length) {
        const d = key.charCodeAt(i + 1)
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)
          i++
        }
      }
      if (c < 0x800) {
        w.byte(0xc0 | (c >> 6))
        w.byte(0x80 | (c & 63))
      } else if (c < 0x10000) {
        w.byte(0xe0 | (c >> 12))
        w.byte(0x80 | ((c >> 6) & 63))
        w.byte(0x80 | (c & 63))
      } else {
        w.byte(0xf0 | (c >> 18))
        w.byte(0x80 | ((c >> 12) & 63))
        w.byte(0x80 | ((c >> 6) & 63))
        w.byte(0x80 | (c & 63))
      }
    }
    w.byte(END)
    w.byte(END)
    return
  }
  if (key instanceof Uint8Array) {
    w.byte(BINARY)
    for (let i = 0; i < key.length; i++) w.content(key[i]!)
    w.byte(END)
    w.byte(END)
    return
  }
  if (Array.isArray(key)) {
    if (depth >= MAX_DEPTH) throw new TypeError(`cowdb: key arrays nest deeper than ${MAX_DEPTH}`)
    if (path.includes(key)) throw new TypeError('cowdb: key array contains itself')
    path.push(key)
    w.byte(ARRAY)
    for (let i = 0; i < key.length; i++) {
      if (!(i in key)) throw new TypeError(`cowdb: key array has a hole at index ${i}`)
      write(w, key[i], depth + 1, path)
    }
    w.byte(END)
    path.pop()
    return
  }
  const got = key === null ? 'null' : key === undefined ? 'undefined' : ArrayBuffer.isView(key) ? (key as object).constructor.name : typeof key === 'object' ? (key as object).constructor?.name ?? 'object' : typeof key
  throw new TypeError(`cowdb: a key must be a string, number, Uint8Array or array of those; got ${got}`)
}

/** Encodes a key; throws TypeError naming the problem. Cost: O(key size). */
export function encodeKey(key: Key): Uint8Array {
  if (typeof key === 'string' && key.length <= MAX_KEY_BYTES - 3) {
    // Fast path: a string with no 0x00 and no non-ASCII needs no escaping.
    const out = new Uint8Array(key.length + 3)
    out[0] = STRING
    let i = 0
    for (; i < key.length; i++) {
      const c = key.charCodeAt(i)
      if (c === 0 || c > 0x7f) break
      out[i + 1] = c
    }
    if (i === key.length) return out // the two trailing zeros are the terminator
  }
  const w = new KeyWriter()
  write(w, key, 0, [])
  if (w.n > MAX_KEY_BYTES) throw new TypeError(`cowdb: key is ${w.n} bytes encoded; the limit is ${MAX_KEY_BYTES}`)
  return w.buf.slice(0, w.n)
}

/** Decodes an encoded key back to the JS value it came from. Cost: O(key size). */
export function decodeKey(bytes: Uint8Array): Key {
  const r = { at: 0 }
  const k = read(bytes, r)
  if (r.at !== bytes.length) throw new RangeError('cowdb: trailing bytes after key')
  return k
}

function read(b: Uint8Array, r: { at: number }): Key {
  const tag = b[r.at++]
  if (tag === NUMBER) {
    const neg = (b[r.at]! & 0x80) === 0
    for (let i = 0; i < 8; i++) f64.setUint8(i, neg ? ~b[r.at + i]! & 0xff : i === 0 ? b[r.at]! ^ 0x80 : b[r.at + i]!)
    r.at += 8
    return f64.getFloat64(0)
  }
  if (tag === STRING || tag === BINARY) {
    const out: number[] = []
    for (;;) {
      const c = b[r.at++]
      if (c === undefined) throw new RangeError('cowdb: key ends inside a string')
      if (c === 0) {
        if (b[r.at++] === END) break
        out.push(0)
      } else out.push(c)
    }
    return tag === BINARY ? Uint8Array.from(out) : utf8Decode(out)
  }
  if (tag === ARRAY) {
    const arr: Key[] = []
    while (b[r.at] !== END) {
      if (r.at >= b.length) throw new RangeError('cowdb: key ends inside an array')
      arr.push(read(b, r))
    }
    r.at++
    return arr
  }
  throw new RangeError(`cowdb: bad key tag ${tag}`)
}

function utf8Decode(u: number[]): string {
  let s = ''
  for (let i = 0; i < u.length; ) {
    const c = u[i]!
    let cp: number
    if (c < 0x80) {
      cp = c
      i++
    } else if (c < 0xe0) {
      cp = ((c & 31) << 6) | (u[i + 1]! & 63)
      i += 2
    } else if (c < 0xf0) {
      cp = ((c & 15) << 12) | ((u[i + 1]! & 63) << 6) | (u[i + 2]! & 63)
      i += 3
    } else {
      cp = ((c & 7) << 18) | ((u[i + 1]! & 63) << 12) | ((u[i + 2]! & 63) << 6) | (u[i + 3]! & 63)
      i += 4
    }
    s += String.fromCodePoint(cp)
  }
  return s
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

/** Encodes a user range; TypeError when both gt and gte (or lt and lte) are given or a bound is bad. */
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
 * The range of string keys starting with `prefix`. (A key equal to prefix + U+10FFFF + more is
 * the one string it misses.)
 */
export function prefixRange(prefix: string): Range {
  return { gte: prefix, lt: prefix + '\u{10FFFF}' }
}
