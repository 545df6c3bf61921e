// Little helpers to write and read length-prefixed binary records (WAL bodies, backups).

const utf8 = new TextEncoder()
const utf8d = new TextDecoder()

/** Appends fields to a growing buffer. Cost: amortized O(bytes). */
export class ByteWriter {
  private buf: Uint8Array
  private dv: DataView
  length = 0
  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity)
    this.dv = new DataView(this.buf.buffer)
  }
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.length + n))
    grown.set(this.buf.subarray(0, this.length))
    this.buf = grown
    this.dv = new DataView(grown.buffer)
  }
  u8(v: number): this {
    this.room(1)
    this.buf[this.length++] = v
    return this
  }
  u32(v: number): this {
    this.room(4)
    this.dv.setUint32(this.length, v)
    this.length += 4
    return this
  }
  f64(v: number): this {
    this.room(8)
    this.dv.setFloat64(this.length, v)
    this.length += 8
    return this
  }
  /** Length-prefixed (u32) bytes. */
  bytes(b: Uint8Array): this {
    this.u32(b.length)
    this.room(b.length)
    this.buf.set(b, this.length)
    this.length += b.length
    return this
  }
  /** Length-prefixed UTF-8 string. */
  str(s: string): this {
    return this.bytes(utf8.encode(s))
  }
  /** The bytes written so far (a view; valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length)
  }
}

/** Reads fields written by ByteWriter; throws RangeError past the end. */
export class ByteReader {
  private dv: DataView
  at = 0
  constructor(private readonly buf: Uint8Array) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }
  private need(n: number): void {
    if (this.at + n > this.buf.length) throw new RangeError('cowdb: record ends early')
  }
  get done(): boolean {
    return this.at >= this.buf.length
  }
  u8(): number {
    this.need(1)
    return this.buf[this.at++]!
  }
  u32(): number {
    this.need(4)
    const v = this.dv.getUint32(this.at)
    this.at += 4
    return v
  }
  f64(): number {
    this.need(8)
    const v = this.dv.getFloat64(this.at)
    this.at += 8
    return v
  }
  /** Length-prefixed bytes, as a view into the record. */
  bytes(): Uint8Array {
    const n = this.u32()
    this.need(n)
    const b = this.buf.subarray(this.at, this.at + n)
    this.at += n
    return b
  }
  str(): string {
    return utf8d.decode(this.bytes())
  }
}

/** A string with one char per byte, usable as a Map/Set key for encoded keys. Cost: O(bytes). */
export function bytesKey(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode.apply(null, b.subarray(i, i + 4096) as unknown as number[])
  return s
}

/** Hands out zeroed byte ranges; a batch encodes its keys and values into shared ones (see Slab). */
export type Alloc = (bytes: number) => Uint8Array

/**
 * Zeroed byte ranges cut from shared chunks: a batch's keys and values, encoded into a few
 * large buffers instead of one buffer (and one ArrayBuffer object) each. A range stays valid as
 * long as anything holds it, and keeps its chunk alive meanwhile. Cost: O(1) per range.
 */
export class Slab {
  private chunk = new Uint8Array(0)
  private used = 0
  constructor(private readonly chunkBytes = 64 * 1024) {}

  readonly alloc: Alloc = (bytes) => {
    if (bytes > this.chunkBytes / 4) return new Uint8Array(bytes) // big ones on their own
    if (this.used + bytes > this.chunk.length) {
      this.chunk = new Uint8Array(this.chunkBytes)
      this.used = 0
    }
    const out = this.chunk.subarray(this.used, this.used + bytes)
    this.used += bytes
    return out
  }
}

/** Byte-equality. Cost: O(bytes). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
