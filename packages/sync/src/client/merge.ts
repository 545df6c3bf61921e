// The merge rule, as a pure function of the log a device pulled.
//
// Every key's value on the server is the write with the latest commit HLC (then the greater
// device id) among all change sets that wrote it: the server marks each entry `applied` when it
// beats the key's current write, so the state at any sequence is the last applied entry of each
// key at or below it. That state depends only on the set of change sets, never on the order
// devices pushed or pulled them in, so every device that has merged up to the same sequence
// holds the same data.
//
// A device merges the window (cursor, upTo] of the log into its head:
//  - keys it did not change since its base take their value at upTo;
//  - keys it pushed in this window (its own change set at sequence `own`) are a conflict when
//    another device's write to the key was applied between the cursor and `own`, or when its
//    own write was not applied (a later write held the key already). The default policy keeps
//    the server's value (the later commit HLC). A custom resolver runs on the device whose push
//    came later in the log, and only if no other device wrote the key after it: exactly one
//    device resolves each conflict, and its result is a new local write, pushed like any other;
//  - keys the app changed after the pushed snapshot are left alone (they go in the next push).

import type { LogEntry } from '../protocol.js'
import { keyId } from './local.js'

/** What the merge does with one key. */
export type KeyPlan = {
  key: Uint8Array
  /** The key's value at upTo when an applied entry of the window wrote it (null: deleted). */
  final?: Uint8Array | null
  /** For a conflict this device resolves: the other side's value when its push arrived ('base': its base value). */
  conflict?: { remote: Uint8Array | null | 'base' }
}

export type MergeInput = {
  /** The log window (cursor, upTo], in (seq, idx) order, values whole. */
  entries: LogEntry[]
  /** Sequence of this device's push in the window, if any. */
  own?: number
  /** Ids (keyId of the encoded key) of the keys that push carried. */
  pushed: Set<string>
}

/** Plans the merge of a window, key by key. Cost: O(entries). */
export function planMerge(input: MergeInput): Map<string, KeyPlan> {
  const plans = new Map<string, KeyPlan>()
  type Seen = { before?: Uint8Array | null; beforeSeen: boolean; ownApplied: boolean; after: boolean }
  const seen = new Map<string, Seen>()
  for (const e of input.entries) {
    const id = keyId(e.key, true)
    let p = plans.get(id)
    if (!p) plans.set(id, (p = { key: e.key }))
    if (e.applied) p.final = e.value
    if (input.own === undefined || !input.pushed.has(id)) continue
    let s = seen.get(id)
    if (!s) seen.set(id, (s = { beforeSeen: false, ownApplied: false, after: false }))
    if (e.seq === input.own) s.ownApplied = e.applied
    else if (e.applied && e.seq < input.own) {
      s.before = e.value
      s.beforeSeen = true
    } else if (e.applied && e.seq > input.own) s.after = true
  }
  for (const [id, s] of seen) {
    if (s.after || (!s.beforeSeen && s.ownApplied)) continue
    plans.get(id)!.conflict = { remote: s.beforeSeen ? s.before! : 'base' }
  }
  return plans
}
