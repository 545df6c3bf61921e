// Stored values back to JS values: an inline value is its encoded bytes, a large one an overflow
// chain read through the pager. Reads, diffs, subscriptions and backups all go through here.

import type { StoredValue } from './btree.js'
import type { RawChange } from './diff.js'
import { decodeKey } from './keys.js'
import { Overflow } from './node.js'
import type { Pager } from './pager.js'
import type { Change, Value } from './types.js'
import { decodeValue } from './values.js'

/** The encoded bytes of a stored value. Cost: O(1) inline, O(length) for an overflow chain. */
export function storedBytes(pager: Pager, v: StoredValue): Uint8Array {
  return v instanceof Overflow ? pager.readChain(v, v.length) : v
}

/** The JS value of a stored value. Cost: O(value size). */
export function decodeStored(pager: Pager, v: StoredValue): Value {
  return decodeValue(storedBytes(pager, v))
}

/** A raw change (encoded key, stored values) as the public Change. Cost: O(key + values). */
export function toChange(pager: Pager, c: RawChange): Change {
  const change: Change = { key: decodeKey(c.key) }
  if (c.before !== undefined) change.before = decodeStored(pager, c.before)
  if (c.after !== undefined) change.after = decodeStored(pager, c.after)
  return change
}
