// Sorting encoded keys by their bytes without a comparator and without an object per key (the
// decorated-string sort it replaces made a string and an object per key). Encoded keys compare
// as byte strings (keys.ts), so byte order is key order.
//
// How: each key's next few bytes, read as digits in base 257 (0 where the key has ended, so a
// key sorts before its extensions), times 2^b, plus the key's index (b bits), is an exact
// integer below 2^53: one float64. A Float64Array sorts natively, and equal prefixes come out
// in index order, so the sort is stable. Runs that share a prefix and go on are sorted again on
// their next bytes. Measured on 100,000 keys: 1.5x to 4.5x faster than a byte radix sort (whose
// 257-entry count tables dominate small buckets) and 3.5x to 5x faster than Array.sort with a
// byte comparator.

import { compareKeys } from './keys.js'

/**
 * The indices of `keys` in ascending byte order; equal keys keep their input order (so the last
 * write of a key is the last of its run). With `lastOfEach`, only the last of each run of equal
 * keys is kept (a batch's last write of each key). Cost: O(n log n) native compares per round of
 * 2 to 4 bytes; one n-sized Float64Array and Uint32Array.
 */
export function sortedOrder(keys: readonly Uint8Array[], lastOfEach = false): Uint32Array {
  const n = keys.length
  const order = new Uint32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  const sorted = sortedness(keys)
  if (sorted === 'strictly') return order
  // equal keys found in the last round they are compared in (they have ended): all but the last
  // of each such run go, when asked
  const superseded = lastOfEach ? new Uint8Array(n) : undefined
  if (sorted === 'ascending') {
    if (superseded) for (let i = 1; i < n; i++) if (compareKeys(keys[i - 1]!, keys[i]!) === 0) superseded[i - 1] = 1
    return superseded ? order.filter((_, i) => !superseded[i]) : order
  }
  const indexBits = Math.max(1, Math.ceil(Math.log2(n + 1)))
  // digits per round: 257^digits * 2^indexBits must stay below 2^53
  const digits = indexBits <= 20 ? 4 : indexBits <= 28 ? 3 : 2
  const scale = 2 ** indexBits
  const packed = new Float64Array(n)
  // runs still to sort: [lo, hi, depth] triples
  const todo: number[] = [0, n, 0]
  while (todo.length) {
    const depth = todo.pop()!
    const hi = todo.pop()!
    const lo = todo.pop()!
    for (let i = lo; i < hi; i++) {
      const k = keys[order[i]!]!
      let prefix = 0
      for (let j = depth; j < depth + digits; j++) prefix = prefix * 257 + (j < k.length ? k[j]! + 1 : 0)
      packed[i] = prefix * scale + order[i]!
    }
    packed.subarray(lo, hi).sort()
    let runStart = lo
    let runPrefix = Math.floor(packed[lo]! / scale)
    for (let i = lo; i <= hi; i++) {
      const prefix = i < hi ? Math.floor(packed[i]! / scale) : -1
      if (i < hi) order[i] = packed[i]! - prefix * scale
      if (prefix === runPrefix) continue
      if (i - runStart > 1) {
        // a run of keys that agree so far and have not ended: order them by what follows; one
        // whose keys ended here: they are equal
        if (runPrefix % 257 !== 0) todo.push(runStart, i, depth + digits)
        else if (superseded) for (let k = runStart; k < i - 1; k++) superseded[k] = 1
      }
      runStart = i
      runPrefix = prefix
    }
  }
  return superseded ? order.filter((_, i) => !superseded[i]) : order
}

/** Whether `keys` are in byte order already (a load from a sorted source), and with no key twice. Cost: O(n) compares. */
function sortedness(keys: readonly Uint8Array[]): 'strictly' | 'ascending' | 'no' {
  let strictly = true
  for (let i = 1; i < keys.length; i++) {
    const c = compareKeys(keys[i - 1]!, keys[i]!)
    if (c > 0) return 'no'
    if (c === 0) strictly = false
  }
  return strictly ? 'strictly' : 'ascending'
}
