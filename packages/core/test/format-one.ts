// Format 1 for tests and benchmarks (docs/format.md), written here from its description, sharing
// no code with the engine's converters (legacy.ts): keys as format 1 encoded them, values as
// format 1's codec (msgpackr) wrote strings and byte arrays, and format-1 stores made by today's
// engine. That works because the engine orders keys by their bytes and keeps values as bytes:
// fed format-1 bytes through encoded ops (commitPlan), it does what format-1 code did, and a Meta
// saved with version 1 makes the result a format-1 store, as the committed fixtures are.

import { encodeKey } from '../src/keys.js'
import type { Database } from '../src/database.js'
import type { EncodedOp } from '../src/ops.js'
import type { Meta } from '../src/store.js'
import type { Commit, Key } from '../src/types.js'

/** A key's format-1 bytes: strings by code point (astral characters as 4-byte UTF-8). */
export function formatOneKey(k: Key): Uint8Array {
  if (typeof k !== 'string' && !Array.isArray(k)) return encodeKey(k) // numbers and binary kept their bytes
  const out: number[] = []
  const put = (x: Key) => {
    if (Array.isArray(x)) {
      out.push(0x40)
      x.forEach(put)
      out.push(0)
    } else if (typeof x === 'string') {
      out.push(0x20)
      for (const ch of x) {
        const cp = ch.codePointAt(0)!
        const utf8 = cp < 0x80 ? [cp] : cp < 0x800 ? [0xc0 | (cp >> 6), 0x80 | (cp & 63)] : cp < 0x10000 ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)] : [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)]
        for (const b of utf8) out.push(...(b === 0 ? [0, 0xff] : [b]))
      }
      out.push(0, 0)
    } else out.push(...encodeKey(x))
  }
  put(k)
  return Uint8Array.from(out)
}

const utf8 = new TextEncoder()

/** A string as format 1's codec stored it: a MessagePack str (fixstr, str 8 or str 16). */
export function formatOneString(s: string): Uint8Array {
  const b = utf8.encode(s)
  if (b.length > 0xffff) throw new RangeError('formatOneString: up to 65,535 bytes')
  const head = b.length < 32 ? [0xa0 | b.length] : b.length < 256 ? [0xd9, b.length] : [0xda, b.length >> 8, b.length & 255]
  const out = new Uint8Array(head.length + b.length)
  out.set(head)
  out.set(b, head.length)
  return out
}

/** A Uint8Array as format 1 stored it: 0xC1, then its bytes. */
export function formatOneBytes(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length + 1)
  out[0] = 0xc1
  out.set(b, 1)
  return out
}

/** The string or bytes a formatOneString / formatOneBytes value holds. */
export function readFormatOne(v: Uint8Array): string | Uint8Array {
  if (v[0] === 0xc1) return v.slice(1)
  const [at, n] = v[0]! >> 5 === 5 ? [1, v[0]! & 31] : v[0] === 0xd9 ? [2, v[1]!] : v[0] === 0xda ? [3, (v[1]! << 8) | v[2]!] : [-1, 0]
  if (at < 0 || at + n !== v.length) throw new Error(`readFormatOne: not a value formatOne* wrote (${v[0]})`)
  return new TextDecoder().decode(v.subarray(at, at + n))
}

/** An op on format-1 keys and values. */
export type FormatOneOp = { type: 'put'; key: Key; value: Uint8Array } | { type: 'delete'; key: Key } | { type: 'deleteRange'; gte?: Key; lt?: Key }

/** Commits `ops` with format-1 bytes, as format-1 code would have (range bounds too). */
export function commitFormatOne(db: Database, ops: FormatOneOp[], branch?: string): Promise<Commit> {
  const encoded: EncodedOp[] = ops.map((o) =>
    o.type === 'put'
      ? { type: 'put', key: formatOneKey(o.key), value: o.value }
      : o.type === 'delete'
        ? { type: 'delete', key: formatOneKey(o.key) }
        : {
            type: 'deleteRange',
            range: { loInclusive: true, hiInclusive: false, ...(o.gte !== undefined ? { lo: formatOneKey(o.gte) } : {}), ...(o.lt !== undefined ? { hi: formatOneKey(o.lt) } : {}) },
          },
  )
  return db.commitPlan({ startGeneration: 0, reads: [], ranges: [], ops: encoded }, branch === undefined ? undefined : { branch })
}

/** `meta` labelled with format version `v` (what turns a store fed format-1 bytes into one). */
export const withVersion = (meta: Meta, v: number): Meta => ({ ...meta, version: v as Meta['version'] })
