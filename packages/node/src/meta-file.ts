// The snapshot table for Node: two copies of the Meta, `meta-a` and `meta-b`, written in turn
// (as LMDB keeps two meta pages). A save writes the copy NOT holding the newest state, fsyncs
// it, and only then is it the newest: a crash mid-save tears only the copy being written, and
// load() falls back to the other. Each copy: magic, sequence number, length, xxHash32, JSON.

import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CorruptionError, checksum32, type Meta, type MetaStore } from '@cowdb/core'
import { FileBlockFile } from './file-store.js'

const MAGIC = 0x434f574d // "COWM"
const HEADER = 20

type Copy = { seq: number; meta: Meta }

export class FileMetaStore implements MetaStore {
  /** A write whose fsync failed may be on disk all the same. */
  readonly failedSaveMayPersist = true
  private seq = 0
  private readonly files: [string, string]

  constructor(readonly dir: string) {
    this.files = [join(dir, 'meta-a'), join(dir, 'meta-b')]
  }

  /** The newest valid copy, or undefined for a new store. Both copies bad → CorruptionError. Cost: reads both copies (a few kB each). */
  async load(): Promise<Meta | undefined> {
    const copies = this.files.map((f) => readCopy(f))
    const good = copies.filter((c): c is Copy => c !== null && c !== 'bad')
    if (!good.length) {
      if (copies.some((c) => c === 'bad')) throw new CorruptionError(`cowdb: both meta copies in ${this.dir} are damaged`)
      return undefined
    }
    const newest = good.reduce((a, b) => (b.seq > a.seq ? b : a))
    this.seq = newest.seq
    return newest.meta
  }

  /** Writes the older copy and fsyncs it. Cost: one file write + fdatasync. */
  async save(meta: Meta): Promise<void> {
    const seq = this.seq + 1
    const body = new TextEncoder().encode(JSON.stringify(meta))
    const buf = new Uint8Array(HEADER + body.length)
    const dv = new DataView(buf.buffer)
    dv.setUint32(0, MAGIC)
    dv.setFloat64(4, seq)
    dv.setUint32(12, body.length)
    buf.set(body, HEADER)
    dv.setUint32(16, checksum32(buf.subarray(4, 16)) ^ checksum32(body))
    const file = new FileBlockFile(this.files[seq % 2]!)
    try {
      file.truncate(0)
      file.write(0, buf)
      file.flush()
    } finally {
      file.close()
    }
    this.seq = seq
  }

  /** Nothing to release: each save opens and closes its file. Cost: none. */
  async close(): Promise<void> {}
}

function readCopy(path: string): Copy | null | 'bad' {
  if (!existsSync(path)) return null
  const buf = new Uint8Array(readFileSync(path))
  if (buf.length === 0) return null
  if (buf.length < HEADER) return 'bad'
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const len = dv.getUint32(12)
  if (dv.getUint32(0) !== MAGIC || HEADER + len > buf.length) return 'bad'
  const body = buf.subarray(HEADER, HEADER + len)
  if (((checksum32(buf.subarray(4, 16)) ^ checksum32(body)) >>> 0) !== dv.getUint32(16)) return 'bad'
  try {
    return { seq: dv.getFloat64(4), meta: JSON.parse(new TextDecoder().decode(body)) as Meta }
  } catch {
    return 'bad'
  }
}
