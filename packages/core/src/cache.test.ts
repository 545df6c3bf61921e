// The page cache against a model of CLOCK eviction written as a plain list (oldest first, each
// with its second-chance bit), and the cases that matter to the pager: a slot reused for another
// page id is a miss, drop() forgets a slot, the byte budget bounds the entries. Fixed seed.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PageCache } from './cache.js'
import { Node } from './node.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261130)

const node = (slot: number, id: number) => Object.assign(new Node(true, id, 1, 1), { slot })

type CacheOp = { t: 'set'; slot: number; id: number } | { t: 'get'; slot: number; id: number } | { t: 'drop'; slot: number } | { t: 'clear' }

/** CLOCK as a list: a hit sets the entry's bit; over budget, the oldest goes, or if its bit is set, loses it and goes to the back. */
class ClockModel {
  list: { slot: number; node: Node; ref: boolean }[] = []
  hits = 0
  misses = 0
  constructor(private readonly capacity: number) {}
  get(slot: number, id: number): Node | undefined {
    const e = this.list.find((x) => x.slot === slot)
    if (!e || e.node.id !== id) {
      this.misses++
      return undefined
    }
    this.hits++
    e.ref = true
    return e.node
  }
  set(n: Node): void {
    const i = this.list.findIndex((x) => x.slot === n.slot)
    const ref = i >= 0 ? this.list[i]!.ref : false
    if (i >= 0) this.list.splice(i, 1)
    this.list.push({ slot: n.slot, node: n, ref })
    while (this.list.length > Math.max(1, this.capacity)) {
      const oldest = this.list.shift()!
      if (oldest.ref) this.list.push({ ...oldest, ref: false })
    }
  }
  drop(slot: number): void {
    this.list = this.list.filter((x) => x.slot !== slot)
  }
}

describe(`PageCache (seed ${SEED})`, () => {
  it('behaves as the CLOCK model: same hits, misses, entries and order of eviction', () => {
    const op: fc.Arbitrary<CacheOp> = fc.oneof(
      { arbitrary: fc.record({ t: fc.constant('set' as const), slot: fc.nat(20), id: fc.nat(3) }), weight: 40 },
      { arbitrary: fc.record({ t: fc.constant('get' as const), slot: fc.nat(20), id: fc.nat(3) }), weight: 50 },
      { arbitrary: fc.record({ t: fc.constant('drop' as const), slot: fc.nat(20) }), weight: 10 },
      { arbitrary: fc.constant({ t: 'clear' as const }), weight: 1 },
    )
    let evictions = 0
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 12 }), fc.array(op, { maxLength: 300, size: 'max' }), (capacity, ops) => {
        const pageCost = 1024
        const cache = new PageCache(capacity * pageCost + (capacity % 3) * 100, pageCost) // budgets between multiples too
        const model = new ClockModel(capacity)
        for (const o of ops) {
          if (o.t === 'set') {
            const before = model.list.length
            const present = model.list.some((e) => e.slot === o.slot)
            const n = node(o.slot, o.id)
            cache.set(n)
            model.set(n)
            if (!present && model.list.length === before) evictions++
          } else if (o.t === 'get') {
            const got = cache.get(o.slot, o.id)
            const want = model.get(o.slot, o.id)
            expect(got).toBe(want)
          } else if (o.t === 'drop') {
            cache.drop(o.slot)
            model.drop(o.slot)
          } else {
            cache.clear()
            model.list = []
          }
          expect(cache.size).toBe(model.list.length)
          expect(cache.size).toBeLessThanOrEqual(Math.max(1, capacity))
        }
        expect([cache.hits, cache.misses]).toEqual([model.hits, model.misses])
        for (const e of model.list) expect(cache.get(e.slot, e.node.id), `slot ${e.slot} cached`).toBe(e.node)
      }),
      { seed: SEED, numRuns: 100 },
    )
    expect(evictions).toBeGreaterThan(500)
  })

  it('a referenced page gets a second chance; an unreferenced one goes first', () => {
    const cache = new PageCache(3 * 100, 100)
    for (const s of [1, 2, 3]) cache.set(node(s, s))
    cache.get(1, 1)
    cache.set(node(4, 4)) // 1 is spared (moved back), 2 is evicted
    expect([1, 2, 3, 4].map((s) => cache.get(s, s) !== undefined)).toEqual([true, false, true, true])
  })

  it('a slot reused for another page id misses; drop and clear forget; the budget holds at least one page', () => {
    const cache = new PageCache(0, 100)
    cache.set(node(5, 1))
    cache.set(node(6, 2))
    expect(cache.size).toBe(1)
    expect(cache.get(6, 2)?.id).toBe(2)
    expect(cache.get(6, 3)).toBeUndefined()
    cache.drop(6)
    expect(cache.get(6, 2)).toBeUndefined()
    expect(cache.size).toBe(0)
    const big = new PageCache(10 * 100, 100)
    for (let s = 0; s < 10; s++) big.set(node(s, s))
    big.drop(3)
    big.set(node(10, 10)) // fits in the room the drop made: nothing evicted
    expect(big.size).toBe(10)
    expect(big.get(0, 0)?.id).toBe(0)
    big.clear()
    expect(big.size).toBe(0)
    for (let s = 0; s < 10; s++) big.set(node(s, s))
    expect(big.size).toBe(10) // clear gave the whole budget back
  })
})
