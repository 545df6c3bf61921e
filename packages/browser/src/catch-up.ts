// A subscription made again on a new owner, from where its subscriber left off. Each subscription
// knows `since`: the generation of its head up to which its subscriber has every change (the head's
// generation when it was made, then each event's). When the owner changes, the commits between
// `since` and the new owner's head may have no event yet: the old owner died before sending it, or
// the new one ran them before the subscription reached it. The new owner sends those as one event:
// the diff from the history entry at `since` (kept when retention keeps history) to its head. When
// no such entry is kept, it sends an event with `reset: true` instead: the subscriber reloads. A
// subscriber never has a silent gap; duplicates are dropped by generation (marks.ts).

import type { ChangeEvent, ChangeListener, Range, WriteOptions } from '@cowdb/core'
import { encodeKey, encodeRange, keyInRange } from '@cowdb/core/keys'
import type { Engine } from './protocol.js'

/** What catching up needs of the engine: Database's own methods. */
export type CatchUpEngine = Pick<Engine, 'snapshots' | 'branches' | 'openReader' | 'closeReader' | 'diff'> & {
  subscribe(range: Range & WriteOptions, listener: ChangeListener): Promise<() => void>
}

/**
 * Subscribes `deliver` to `range`, and with `since` first delivers what the subscriber missed from
 * generation `since` on (one event of the net changes, or a reset). Resolves, once it listens and
 * any catch-up event is delivered, to the unsubscribe function and the head's generation the
 * subscriber is complete to. Events arrive in commit order, none at or below that generation twice.
 * Cost: O(heads); with `since`, O(snapshots) and a diff that grows with the head's changes missed.
 */
export async function subscribeFrom(
  engine: CatchUpEngine,
  range: Range & WriteOptions,
  since: number | undefined,
  deliver: ChangeListener,
): Promise<{ off: () => void; generation: number }> {
  const branch = range.branch ?? 'main'
  const base = since === undefined ? undefined : (await engine.snapshots({ branch, internal: true })).find((s) => s.kind === 'history' && s.generation === since)
  // Events wait here until the catch-up is out; those at or below `floor` are in it already.
  let held: ChangeEvent[] | undefined = []
  let floor = Infinity
  const listener: ChangeListener = (e) => {
    if (held) held.push(e)
    else if (e.commit.generation > floor) deliver(e)
  }
  // One synchronous step: the registration, the head read and the diff's pin see the same state
  // (the engine's methods do their work before their first await).
  const subscribed = engine.subscribe(range, listener)
  const heads = engine.branches({ internal: true })
  const reader = (async () => engine.openReader({ branch }))()
  const gap = base ? engine.diff(base.id, undefined, { branch }).catch(() => undefined) : undefined // dropped meanwhile: reset
  const [sub, hs, rd] = await Promise.allSettled([subscribed, heads, reader])
  if (rd.status === 'fulfilled') engine.closeReader(rd.value.reader)
  if (sub.status === 'rejected') throw sub.reason
  const off = sub.value
  if (hs.status === 'rejected' || rd.status === 'rejected') {
    off()
    throw hs.status === 'rejected' ? hs.reason : (rd as PromiseRejectedResult).reason
  }
  floor = rd.value.generation
  const info = hs.value.find((h) => h.name === branch)
  // a tenant is not among branches(): the global generation stands for its head's
  const commit = { generation: info?.generation ?? floor, root: info?.root ?? 0 }
  if (since !== undefined && since !== commit.generation) {
    const inRange = encodeRange(keysOf(range))
    const changes = (await gap)?.filter((c) => keyInRange(encodeKey(c.key), inRange))
    if (!changes) deliver({ branch, commit, changes: [], reset: true })
    else if (changes.length) deliver({ branch, commit, changes })
  }
  for (const e of held) if (e.commit.generation > floor) deliver(e)
  held = undefined
  return { off, generation: commit.generation }
}

/** The key bounds of a subscription's range (without its head). */
function keysOf(range: Range & WriteOptions): Range {
  const { branch: _, ...keys } = range
  return keys
}
