// Stored values back to JS values: an inline value is its encoded bytes, a large one an overflow
// chain read through the pager. Reads, diffs, subscriptions and backups all go through here.

import type { StoredValue, Tree } from './btree.js'
import { diffTrees, type RawChange } from './diff.js'
import { decodeKey } from './keys.js'
import { Overflow, type Ref } from './node.js'
import { ITERATE_CHUNK } from './tx-runner.js'
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

/**
 * The changes from tree `a` to tree `b` (diff.ts), decoded, in chunks of ITERATE_CHUNK with
 * `between()` after each (a check that the database is still open). Both trees must stay
 * pinned until it ends. Cost: O(changed pages) plus the values decoded.
 */
export async function* decodedChanges(t: Tree, a: Ref | null, b: Ref | null, sameValue: (x: StoredValue, y: StoredValue) => boolean, between: () => void): AsyncGenerator<Change> {
  const batch: Change[] = []
  for (const c of diffTrees(t, a, b, sameValue)) {
    batch.push(toChange(t.pager, c))
    if (batch.length >= ITERATE_CHUNK) {
      yield* batch.splice(0)
      between()
    }
  }
  yield* batch
}

/** A raw change (encoded key, stored values) as the public Change. Cost: O(key + values). */
export function toChange(pager: Pager, c: RawChange): Change {
  const change: Change = { key: decodeKey(c.key) }
  if (c.before !== undefined) change.before = decodeStored(pager, c.before)
  if (c.after !== undefined) change.after = decodeStored(pager, c.after)
  return change
}
