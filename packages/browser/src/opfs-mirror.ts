// A copy of the Meta in the OPFS directory beside the pages, written after each checkpoint's
// IndexedDB transaction committed. IndexedDB stays the authority; the copy is what makes the
// pages readable again when a browser cleared IndexedDB but not OPFS (openDB with
// `recover: true` puts it back). Layout: magic u32 | length u32 | xxHash32 u32 | JSON. A copy
// torn by a crash fails its checksum and counts as absent.

import { checksum32, type Meta } from '@cowdb/core'

const MAGIC = 0x434f5743 // "COWC"
const HEADER = 12

/** Encodes a Meta as the copy's bytes. Cost: O(Meta). */
export function encodeMirror(meta: Meta): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify(meta))
  const out = new Uint8Array(HEADER + body.length)
  const dv = new DataView(out.buffer)
  dv.setUint32(0, MAGIC)
  dv.setUint32(4, body.length)
  dv.setUint32(8, checksum32(body))
  out.set(body, HEADER)
  return out
}

/** The Meta in a copy's bytes, or undefined if they are not a whole, valid copy. Cost: O(bytes). */
export function decodeMirror(bytes: Uint8Array): Meta | undefined {
  if (bytes.length < HEADER) return undefined
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const len = dv.getUint32(4)
  if (dv.getUint32(0) !== MAGIC || HEADER + len > bytes.length) return undefined
  const body = bytes.subarray(HEADER, HEADER + len)
  if (checksum32(body) !== dv.getUint32(8)) return undefined
  try {
    return JSON.parse(new TextDecoder().decode(body)) as Meta
  } catch {
    return undefined
  }
}
