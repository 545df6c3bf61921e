// Stored values. The contract is IndexedDB's: a value reads back deep-equal to
// structuredClone(value). Primitives (bigint, -0, NaN, strings with lone surrogates), plain
// objects with any keys (an own `__proto__` too), arrays with holes and extra properties, Map
// and Set with keys of any type, Date (invalid too), RegExp, the Error types, boxed
// primitives, ArrayBuffer (resizable too), DataView and every typed array (Float16Array too),
// with shared references and cycles. Class instances flatten to their own enumerable string
// properties, as structuredClone flattens them. Anything else (a function, a symbol, WeakMap,
// Promise, Blob, CryptoKey, a DOM node, ...) throws DataCloneError naming the type and where it
// is in the value, before anything is written.
//
// The codec is cowdb's own (it is part of the on-disk format): values-format.ts lays out the
// bytes, values-encode.ts and values-decode.ts write and read them, values-classify.ts decides
// types, values-legacy.ts reads what cowdb wrote before this format. docs/values.md has the
// table, the stand-ins (Float16Bits where a runtime has no Float16Array), the few places where
// it differs from structuredClone, and the measured cost.

import { CorruptionError, DataCloneError } from './errors.js'
import { FORMAT_V1_BYTES } from './values-format.js'
import { encodeTagged } from './values-encode.js'
import { shortPath, Unstorable } from './values-unstorable.js'
import { BadValueBytes, decodeTagged } from './values-decode.js'
import { copyBytes } from './values-utf8.js'
import type { Alloc } from './bytes.js'

/**
 * Serializes a value. Throws TypeError for a top-level undefined (delete the key instead) and
 * DataCloneError for a value that holds something that cannot be stored; a plain Uint8Array is
 * stored as its bytes behind one format byte. Cost: O(size of the value).
 */
export function encodeValue(value: unknown): Uint8Array {
  return encodeValueWith(value, undefined)
}

/**
 * encodeValue, with a plain Uint8Array's bytes written into a range from `alloc` (a batch's
 * shared buffers, bytes.ts Slab); other values get their own buffer from the codec. Cost: O(size).
 */
export function encodeValueWith(value: unknown, alloc: Alloc | undefined): Uint8Array {
  if (value === undefined) throw new TypeError('cowdb: undefined is not a storable value (use delete)')
  if (value instanceof Uint8Array && value.length > 0 && Object.getPrototypeOf(value) === Uint8Array.prototype && isPlainBuffer(value.buffer)) {
    const out = alloc ? alloc(value.length + 1) : new Uint8Array(value.length + 1)
    out[0] = FORMAT_V1_BYTES
    out.set(value, 1)
    return out
  }
  try {
    return encodeTagged(value)
  } catch (e) {
    if (!(e instanceof Unstorable)) throw e
    throw new DataCloneError(`cowdb: value${shortPath(e.path.reverse())} is ${e.what} and cannot be stored`)
  }
}

/** An ArrayBuffer that is neither shared nor resizable (the raw path cannot say either; an empty view, which may be detached, takes the general path). */
function isPlainBuffer(b: ArrayBufferLike): boolean {
  return Object.getPrototypeOf(b) === ArrayBuffer.prototype && !(b as { resizable?: boolean }).resizable
}

/**
 * Deserializes a value written by encodeValue (bytes of an older format go to
 * decodeLegacyValue). Throws CorruptionError on bytes that are not a value. Cost: O(size).
 */
export function decodeValue(bytes: Uint8Array): unknown {
  if (bytes[0] === FORMAT_V1_BYTES) return copyBytes(bytes, 1, bytes.length)
  try {
    return decodeTagged(bytes)
  } catch (e) {
    if (e instanceof BadValueBytes || e instanceof RangeError) throw new CorruptionError(`cowdb: stored value cannot be decoded: ${e.message}`)
    throw e
  }
}
