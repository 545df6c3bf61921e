// The shared page cache's layout (shared-cache.ts) in one thread: pages found by id, evicted by
// the clock (a page readers use outlives one they do not), the roots with any branch name and as
// many snapshots as fit (the newest), retract and clear. The concurrency (the seqlock under real
// threads) is tested in Chromium: e2e/shared-reads.spec.ts.
import { describe, expect, it } from 'vitest'
import { maxEntries } from '@cowdb/core/page-read'
import { SharedCacheReader, SharedCacheWriter, createSharedCache } from './shared-cache.js'

const PAGE = 512
/** A tree page (a leaf with no entries) that says which page it is. */
function page(id: number): Uint8Array {
  const p = new Uint8Array(PAGE)
  const v = new DataView(p.buffer)
  v.setUint16(0, 0xc0db)
  p[2] = 2
  v.setFloat64(8, id)
  return p
}
const put = (w: SharedCacheWriter, id: number) => w.put(id, (into) => (into.set(page(id)), true))

describe('shared page cache', () => {
  it('finds what it holds by id, and under pressure keeps the pages readers use', () => {
    const buffer = createSharedCache(256 * 1024, PAGE)
    const w = new SharedCacheWriter(buffer)
    const r = new SharedCacheReader(buffer)
    const capacity = r.entries
    expect(capacity).toBeGreaterThan(16)
    // half full: two buckets of four per id lose almost nothing (an id whose eight ways are taken evicts one)
    for (let id = 1; id <= capacity / 2; id++) put(w, id)
    let found = 0
    for (let id = 1; id <= capacity / 2; id++) {
      const at = r.find(id)
      if (at < 0) continue
      found++
      expect(new DataView(buffer as ArrayBuffer).getFloat64(at + 8)).toBe(id) // the page there is the one asked for
      expect(r.unchanged(at, r.version)).toBe(true)
    }
    expect(found / (capacity / 2)).toBeGreaterThan(0.95)
    expect(r.find(capacity + 1)).toBe(-1)
    const held = [...Array(capacity / 2).keys()].map((i) => i + 1).find((id) => r.find(id) >= 0)!
    expect(w.copyOf(held)).toEqual(page(held))
    // a page being rewritten reads as changed
    const at = r.find(held)
    const version = r.version
    w.clear()
    expect(r.unchanged(at, version)).toBe(false)
    expect(r.find(held)).toBe(-1)

    // pressure: pages 1..8 are read all along, while ten times the capacity of others go through
    const hot = [1, 2, 3, 4, 5, 6, 7, 8]
    for (const id of hot) put(w, id)
    let kept = 0
    for (let id = 100; id < 100 + 10 * capacity; id++) {
      put(w, id)
      for (const h of hot) if (r.find(h) >= 0) kept++
    }
    const share = kept / (hot.length * 10 * capacity)
    expect(share).toBeGreaterThan(0.9)
  })

  it('refuses a page whose entries it cannot index (nothing of it stays)', () => {
    const buffer = createSharedCache(64 * 1024, PAGE)
    const w = new SharedCacheWriter(buffer)
    const bad = page(9)
    new DataView(bad.buffer).setUint16(4, maxEntries(PAGE) + 1) // more entries than a page can hold
    expect(w.put(9, (into) => (into.set(bad), true))).toBe(false)
    expect(w.put(10, () => false)).toBe(false)
    const r = new SharedCacheReader(buffer)
    expect([r.find(9), r.find(10)]).toEqual([-1, -1])
  })

  it('publishes roots: heads by any name, snapshots by id (the newest when they do not all fit), parsed once per change', () => {
    const buffer = createSharedCache(64 * 1024, PAGE)
    const w = new SharedCacheWriter(buffer)
    const r = new SharedCacheReader(buffer)
    expect(r.currentRoots()!.head('main')).toBeUndefined()
    const snaps: [string, number][] = Array.from({ length: 3000 }, (_, i) => [`2026-11-24T20:45:12.345Z-${String(i).padStart(6, '0')}`, 1000 + i])
    w.setRoots(42, [['main', 7], ['drafts/été ✍️', 0], ['gone', -1]], snaps)
    const roots = r.currentRoots()!
    expect(roots.generation).toBe(42)
    expect([roots.head('main'), roots.head('drafts/été ✍️'), roots.head('gone'), roots.head('other')]).toEqual([7, 0, -1, undefined])
    expect(roots.snapshot(snaps[2999]![0])).toBe(3999) // the newest fit
    expect(roots.snapshot(snaps[0]![0])).toBeUndefined() // the oldest did not (64 KiB of roots)
    expect(r.currentRoots()).toBe(roots) // unchanged: not parsed again
    w.retract()
    expect(r.currentRoots()!.generation).toBe(-1)
    expect(r.currentRoots()!.head('main')).toBeUndefined()
  })

  it('while the roots are rewritten, a reader holding the newest complete ones reads on them; one holding older ones asks the worker', () => {
    const buffer = createSharedCache(64 * 1024, PAGE)
    const w = new SharedCacheWriter(buffer)
    const seq = new Int32Array(buffer) // header field 5: the roots' seqlock
    const writing = (during: () => void) => {
      Atomics.add(seq, 5, 1) // odd: what the worker does for the length of a setRoots()
      during()
      Atomics.add(seq, 5, 1)
    }
    const current = new SharedCacheReader(buffer)
    const behind = new SharedCacheReader(buffer)
    w.setRoots(5, [['main', 40]], [])
    expect(behind.currentRoots()!.generation).toBe(5)
    w.setRoots(6, [['main', 41]], [])
    const six = current.currentRoots()!
    expect(six.generation).toBe(6)
    writing(() => {
      // the write under way comes after every read that sees it unfinished: generation 6 is the newest there is
      expect(current.currentRoots()).toBe(six)
      // generation 5 is not: a write that resolved with generation 6 (in any tab) must be seen
      expect(behind.currentRoots()).toBeNull()
      expect(new SharedCacheReader(buffer).currentRoots()).toBeNull()
    })
    expect(current.currentRoots()!.generation).toBe(6)
    // roots of another owner are never read through: a moved owner epoch (header field 8, as clear() moves it) ends it
    Atomics.add(seq, 8, 1)
    writing(() => expect(current.currentRoots()).toBeNull())
  })

  it("clear(): a read done on the old owner's roots does not count, even where the next owner reused its page ids", () => {
    const buffer = createSharedCache(64 * 1024, PAGE)
    const w = new SharedCacheWriter(buffer)
    const r = new SharedCacheReader(buffer)
    put(w, 40)
    w.setRoots(5, [['main', 40]], [])
    const old = r.currentRoots()!
    expect(r.sameOwner(old)).toBe(true)
    w.clear() // the next owner: id 40 may name another page now
    expect(r.find(40)).toBe(-1)
    put(w, 40)
    w.setRoots(6, [['main', 40]], [])
    const at = r.find(40)
    expect(at).toBeGreaterThanOrEqual(0)
    expect(r.unchanged(at, r.version)).toBe(true) // the entry alone cannot tell...
    expect(r.sameOwner(old)).toBe(false) // ...the epoch does
    const now = r.currentRoots()!
    expect([now.generation, now.head('main'), r.sameOwner(now)]).toEqual([6, 40, true])
    w.retract() // withdrawing the roots alone (an owner closing) is not a new owner
    expect(r.sameOwner(now)).toBe(true)
  })
})
