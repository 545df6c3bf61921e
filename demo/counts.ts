// Key counts, shared by the cards. count() walks every key (O(n): about 0.1 s at 1M keys), and
// four cards want the same number after each commit, so one count per state is made and kept:
// at a snapshot forever (a snapshot never changes), at a head until the next commit anywhere
// (the generation only grows, so a number is never reused for a later state).
import type { Range, ReadOptions } from '@cowdb/browser'
import { app } from './app.ts'

const KEEP = 300
const known = new Map<string, Promise<number>>()
let generation = 0

/** Tells the cache a commit happened (from a change event or a sample). Cost: O(1). */
export function sawGeneration(g: number): void {
  if (g > generation) generation = g
}

/** The number of keys in `range` at `at` (a snapshot, or a branch's head). Cost: one count() per state. */
export function countKeys(range: Range, at: ReadOptions): Promise<number> {
  const key = JSON.stringify([range, at.snapshot ?? `${at.branch ?? 'main'}@${generation}`])
  let n = known.get(key)
  if (!n) {
    n = app.db.count(range, at)
    n.catch(() => known.delete(key))
    known.set(key, n)
    if (known.size > KEEP) known.delete(known.keys().next().value!)
  }
  return n
}
