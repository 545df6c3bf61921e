// Level ranges as cowdb ranges. Level orders keys by their encoded bytes, so every key is stored as
// a binary cowdb key (Uint8Array), which cowdb orders bytewise; binary keys sit between strings
// and arrays in cowdb's order, so a range with no lower bound starts at the empty byte string and
// one with no upper bound stops before the first array key: a Level database never sees keys that
// other code wrote into the same cowdb database with other key types.
import type { Range } from '@cowdb/core'

/** Level's range options, already encoded to bytes by abstract-level. */
export type LevelRange = { gt?: Uint8Array; gte?: Uint8Array; lt?: Uint8Array; lte?: Uint8Array }

const LOWEST: Uint8Array = new Uint8Array(0)
/** The smallest array key: greater than every binary key. */
const ABOVE_BINARY: [] = []

/** A cowdb range holding exactly the binary keys in `r` (as in Level, gte wins over gt, lte over lt). Cost: O(1). */
export function toCowdbRange(r: LevelRange): Range {
  const out: Range = {}
  if (r.gte !== undefined) out.gte = r.gte
  else if (r.gt !== undefined) out.gt = r.gt
  else out.gte = LOWEST
  if (r.lte !== undefined) out.lte = r.lte
  else if (r.lt !== undefined) out.lt = r.lt
  else out.lt = ABOVE_BINARY
  return out
}

/** Bytewise order, as Level compares encoded keys. Cost: O(shorter length). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

/**
 * `range` moved to start at `target` (an iterator's seek): forward, at the first key >= target;
 * reverse, at the last key <= target; never outside the original bounds. Cost: O(key length).
 */
export function seekRange(range: Range, target: Uint8Array, reverse: boolean): Range {
  const r = { ...range }
  if (!reverse) {
    const lower = (r.gt ?? r.gte) as Uint8Array
    if (compareBytes(target, lower) > 0 || (r.gte !== undefined && compareBytes(target, lower) === 0)) {
      delete r.gt
      r.gte = target
    }
  } else if (r.lt instanceof Uint8Array || r.lte instanceof Uint8Array) {
    const upper = (r.lt ?? r.lte) as Uint8Array
    if (compareBytes(target, upper) < 0) {
      delete r.lt
      r.lte = target
    }
  } else {
    delete r.lt
    r.lte = target
  }
  return r
}

/** The range left after `last` was read: the next chunk starts past it. Cost: O(1). */
export function after(range: Range, last: Uint8Array, reverse: boolean): Range {
  const r = { ...range }
  if (reverse) {
    delete r.lte
    r.lt = last
  } else {
    delete r.gte
    r.gt = last
  }
  return r
}
