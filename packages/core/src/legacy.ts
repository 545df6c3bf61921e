// Format 1 to format 2, one stored key or value at a time (docs/format.md): what the store
// migration (migrate.ts) and version-1 backups (backup.ts) share, so the two can never disagree.
//
// Keys: format 1 wrote astral characters as 4-byte UTF-8 (code point order); format 2 writes each
// UTF-16 code unit on its own (keys.ts). Every other key has the same bytes in both.
// Values: format 1 wrote them with msgpackr; format 2 with cowdb's own structured-clone codec,
// which does not read format 1's bytes, so every stored value is transcoded.

import { MAX_KEY_BYTES, reencodeKey } from './keys.js'
import { encodeValue } from './values.js'
import { decodeLegacyValue } from './values-legacy.js'

/**
 * The longest key a migrated store can hold: a format-1 key at the limit whose every 4-byte
 * astral character became 6 bytes. encodeKey never makes one; the engine keeps it.
 */
export const MAX_MIGRATED_KEY_BYTES = (MAX_KEY_BYTES / 2) * 3

/**
 * A stored key's format-2 bytes from its format-1 bytes (a fresh copy: the result never shares
 * memory with a page buffer). Can be over MAX_KEY_BYTES (see reencodeKey). Cost: O(key size).
 */
export function upgradeKey(old: Uint8Array): Uint8Array {
  const k = reencodeKey(old)
  return k === old ? old.slice() : k
}

/**
 * A stored value's format-2 bytes from its format-1 bytes: read by the format-1 reader, written
 * by the format-2 codec (fresh bytes). Cost: O(value size).
 */
export function transcodeValue(old: Uint8Array): Uint8Array {
  return encodeValue(decodeLegacyValue(old))
}
