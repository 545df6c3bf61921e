// Validated, encoded write operations, and their binary form in WAL commit records.

import { ByteReader, ByteWriter, Slab } from './bytes.js'
import type { KeyRange } from './keys.js'
import { encodeKeyWith, encodeRange } from './keys.js'
import type { Op, Range } from './types.js'
import { encodeValueWith } from './values.js'

export type EncodedOp =
  | { type: 'put'; key: Uint8Array; value: Uint8Array }
  | { type: 'delete'; key: Uint8Array }
  | { type: 'deleteRange'; range: KeyRange }

/** Batches with this many ops encode their keys and values into shared buffers. */
const SLAB_OPS = 64

/**
 * Validates and encodes user ops; throws TypeError naming the bad one, before anything is
 * written. A big batch's keys and values go into shared buffers (Slab): one typed-array view
 * each, not a buffer each. Cost: O(bytes).
 */
export function encodeOps(ops: Op[]): EncodedOp[] {
  if (!Array.isArray(ops)) throw new TypeError('cowdb: batch() takes an array of ops')
  const alloc = ops.length >= SLAB_OPS ? new Slab().alloc : undefined
  return ops.map((op, i) => {
    if (op === null || typeof op !== 'object') throw new TypeError(`cowdb: op ${i} is not an object`)
    try {
      if (op.type === 'put') {
        if (!('value' in op)) throw new TypeError('put needs a value')
        return { type: 'put', key: encodeKeyWith(op.key, alloc), value: encodeValueWith(op.value, alloc) }
      }
      if (op.type === 'delete') return { type: 'delete', key: encodeKeyWith(op.key, alloc) }
      throw new TypeError(`unknown op type ${JSON.stringify((op as { type: unknown }).type)} (use 'put' or 'delete')`)
    } catch (e) {
      if (e instanceof TypeError && ops.length > 1) throw new TypeError(`cowdb: op ${i}: ${e.message.replace(/^cowdb: /, '')}`)
      throw e
    }
  })
}

/** The op of deleteRange(range). */
export function encodeRangeOp(range: Range): EncodedOp {
  if (range === null || typeof range !== 'object') throw new TypeError('cowdb: deleteRange needs a range object')
  return { type: 'deleteRange', range: encodeRange(range) }
}

const PUT = 1
const DELETE = 2
const DELETE_RANGE = 3

/** The WAL body of a commit. Cost: O(bytes). */
export function writeOps(ops: EncodedOp[], prefix?: (w: ByteWriter) => void): Uint8Array {
  let bytes = 64
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!
    bytes += op.type === 'put' ? 9 + op.key.length + op.value.length : 64
  }
  const w = new ByteWriter(bytes)
  prefix?.(w)
  w.u32(ops.length)
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!
    if (op.type === 'put') w.u8(PUT).bytes(op.key).bytes(op.value)
    else if (op.type === 'delete') w.u8(DELETE).bytes(op.key)
    else {
      const r = op.range
      w.u8(DELETE_RANGE).u8((r.lo ? 1 : 0) | (r.loInclusive ? 2 : 0) | (r.hi ? 4 : 0) | (r.hiInclusive ? 8 : 0))
      if (r.lo) w.bytes(r.lo)
      if (r.hi) w.bytes(r.hi)
    }
  }
  return w.view()
}

/** Decodes a WAL commit body (keys and values are views into `body`). */
export function readOps(body: Uint8Array | ByteReader): EncodedOp[] {
  const r = body instanceof ByteReader ? body : new ByteReader(body)
  const n = r.u32()
  const ops: EncodedOp[] = []
  for (let i = 0; i < n; i++) {
    const t = r.u8()
    if (t === PUT) ops.push({ type: 'put', key: r.bytes(), value: r.bytes() })
    else if (t === DELETE) ops.push({ type: 'delete', key: r.bytes() })
    else if (t === DELETE_RANGE) {
      const f = r.u8()
      const range: KeyRange = { loInclusive: (f & 2) !== 0, hiInclusive: (f & 8) !== 0 }
      if (f & 1) range.lo = r.bytes()
      if (f & 4) range.hi = r.bytes()
      ops.push({ type: 'deleteRange', range })
    } else throw new RangeError(`cowdb: unknown op ${t} in WAL record`)
  }
  return ops
}
