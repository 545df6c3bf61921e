// A subscription made again on a new owner, from where its subscriber left off. Each subscription
// knows `since`: the generation of its head up to which its subscriber has every change (the head's
// generation when it was made, then each event's). When the owner changes, the commits between
// `since` and the new owner's head may have no event yet: the old owner died before sending it, or
// the new one ran them before the subscription reached it. The new owner sends those as one event:
// the diff from the history entry at `since` (kept when retention keeps history) to its head. When
// no such entry is kept, it sends an event with `reset: true` instead: the subscriber reloads. A
// subscriber never has a silent gap; duplicates are dropped by generation (marks.ts).

import type { ChangeEvent, ChangeListener, Commit, Range, WriteOptions } from '@cowdb/core'
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
  // Events wait here until the catch-up is out; those at or below `floor` are in it already.
  let held: ChangeEvent[] | undefined = []
  let floor = Infinity
  const listener: ChangeListener = (e) => {
    if (held) held.push(e)
    else if (e.commit.generation > floor) deliver(e)
  }
  // The registration and the head read in one synchronous step (the engine's methods do their
  // work before their first await), before any call sent after this one can commit.
  const [sub, at] = await Promise.allSettled([engine.subscribe(range, listener), headOf(engine, branch)])
  if (sub.status === 'rejected') throw sub.reason
  const off = sub.value
  try {
    if (at.status === 'rejected') throw at.reason
    let head = at.value
    let catchUp: ChangeEvent | undefined
    if (since !== undefined && since !== head.commit.generation) {
      const base = (await engine.snapshots({ branch, internal: true })).find((s) => s.kind === 'history' && s.generation === since)
      if (!base) catchUp = { branch, commit: head.commit, changes: [], reset: true }
      else {
        // the diff pins the head that headOf reads, in one step: events up to it are in the diff
        const gap = engine.diff(base.id, undefined, { branch }).catch(() => undefined) // dropped meanwhile: reset
        head = await headOf(engine, branch)
        const inRange = encodeRange(keysOf(range))
        const changes = (await gap)?.filter((c) => keyInRange(encodeKey(c.key), inRange))
        if (!changes) catchUp = { branch, commit: head.commit, changes: [], reset: true }
        else if (changes.length) catchUp = { branch, commit: head.commit, changes }
      }
    }
    floor = head.global
    if (catchUp) deliver(catchUp)
    for (const e of held) if (e.commit.generation > floor) deliver(e)
    held = undefined
    return { off, generation: head.commit.generation }
  } catch (e) {
    off()
    throw e
  }
}

/**
 * `branch`'s head now: its generation and root (the global generation for a tenant, which
 * branches() leaves out), and the global generation. Reads synchronously, resolves later.
 */
async function headOf(engine: CatchUpEngine, branch: string): Promise<{ commit: Commit; global: number }> {
  const heads = engine.branches({ internal: true })
  heads.catch(() => {}) // awaited below, unless openReader throws first
  const reader = await engine.openReader({ branch })
  engine.closeReader(reader.reader)
  const info = (await heads).find((h) => h.name === branch)
  return { commit: { generation: info?.generation ?? reader.generation, root: info?.root ?? 0 }, global: reader.generation }
}

/** The key bounds of a subscription's range (without its head). */
function keysOf(range: Range & WriteOptions): Range {
  const { branch: _, ...keys } = range
  return keys
}
