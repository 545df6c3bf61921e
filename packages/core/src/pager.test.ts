// The pager on its own, on a memory file that logs every call: the allocator and the free list
// against a model (lowest slot first, freeRuns/loadFreeRuns, freeTail/truncateTail), batched
// writes coalesced into one write per run of adjacent slots and one flush, the rollback after a
// failed batch, overflow chains around page-size and index-capacity multiples, and corrupted
// chains. Fixed seed (COWDB_SEED overrides); fast-check prints the seed and the failing case.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CorruptionError, IOError } from './errors.js'
import { MemoryBlockFile } from './memory-store.js'
import { HEADER_SIZE, Layout, Node, type DiskRef } from './node.js'
import { PageType, encodeIndexPage, indexCapacity, sealPage } from './page.js'
import { Pager } from './pager.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261130)
const RUNS = Number(process.env.COWDB_RUNS ?? 100)
const run = <T,>(prop: fc.IProperty<T>, numRuns = RUNS) => fc.assert(prop, { seed: SEED, numRuns })

/** A memory file that logs writes, flushes and truncations, and can be told to fail. */
class LoggingFile extends MemoryBlockFile {
  writes: { offset: number; length: number }[] = []
  flushes = 0
  truncations: number[] = []
  /** Fail the write with this index (0-based, counted from now), or the flush if 'flush'. */
  failAt: number | 'flush' | undefined
  private writesSinceArm = 0
  arm(at: number | 'flush' | undefined): void {
    this.failAt = at
    this.writesSinceArm = 0
  }
  override write(offset: number, data: Uint8Array): void {
    if (this.failAt === this.writesSinceArm++) throw new IOError('injected write failure')
    this.writes.push({ offset, length: data.length })
    super.write(offset, data)
  }
  override flush(): void {
    if (this.failAt === 'flush') throw new IOError('injected flush failure')
    this.flushes++
    super.flush()
  }
  override truncate(size: number): void {
    this.truncations.push(size)
    super.truncate(size)
  }
}

function pagerOn(file: LoggingFile, ps: number): Pager {
  return new Pager(file, new Layout(ps), 16 * ps * 2)
}

/** A small leaf to write; its one value makes its bytes unique. */
function leaf(p: Pager, i: number): Node {
  const n = new Node(true, p.newId(), 1, 1)
  n.keys = [Uint8Array.of(0x20, i & 255, 0, 0)]
  n.vals = [Uint8Array.of(i >> 8, i & 255)]
  n.size = p.layout.measure(n)
  return n
}

function bytesOf(n: number, salt: number): Uint8Array {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 9) * 13 + salt) & 255
  return b
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0

/** Maximal runs of consecutive numbers in a sorted list, as [start, length]. */
function runsOf(sorted: number[]): [number, number][] {
  const out: [number, number][] = []
  for (const s of sorted) {
    const last = out[out.length - 1]
    if (last && last[0] + last[1] === s) last[1]++
    else out.push([s, 1])
  }
  return out
}

// ---- the allocator -----------------------------------------------------------------------------

type AllocOp = { t: 'alloc'; n: number } | { t: 'free'; pick: number[] } | { t: 'truncate' } | { t: 'reload' }

describe(`allocator and free list against a model (seed ${SEED})`, () => {
  it('lowest free slot first, then growth; freeRuns round-trips; truncateTail cuts only the free tail', () => {
    const op: fc.Arbitrary<AllocOp> = fc.oneof(
      { arbitrary: fc.record({ t: fc.constant('alloc' as const), n: fc.integer({ min: 1, max: 12 }) }), weight: 4 },
      { arbitrary: fc.record({ t: fc.constant('free' as const), pick: fc.array(fc.nat(), { maxLength: 10 }) }), weight: 4 },
      { arbitrary: fc.constant({ t: 'truncate' as const }), weight: 1 },
      { arbitrary: fc.constant({ t: 'reload' as const }), weight: 1 },
    )
    let cuts = 0
    run(
      fc.property(fc.array(op, { maxLength: 80, size: 'max' }), (ops) => {
        const file = new LoggingFile()
        let p = pagerOn(file, 512)
        const used = new Set<number>()
        const free = new Set<number>()
        let slots = 0
        for (const o of ops) {
          if (o.t === 'alloc') {
            for (let i = 0; i < o.n; i++) {
              const want = free.size ? Math.min(...free) : slots++
              free.delete(want)
              expect(p.allocate()).toBe(want)
              used.add(want)
            }
          } else if (o.t === 'free') {
            const inUse = [...used]
            const chosen = [...new Set(o.pick.filter(() => inUse.length).map((x) => inUse[x % inUse.length]!))]
            p.addFree(chosen)
            for (const s of chosen) {
              used.delete(s)
              free.add(s)
            }
          } else if (o.t === 'truncate') {
            let end = slots
            while (end > 0 && free.has(end - 1)) free.delete(--end)
            const truncations = file.truncations.length
            expect(p.freeTail()).toBe(slots - end)
            expect(p.truncateTail()).toBe(slots - end)
            expect(file.truncations.slice(truncations)).toEqual(slots > end ? [end * 512] : [])
            if (slots > end) cuts++
            slots = end
          } else {
            // What a restart does: a new pager loads the free list from the runs the Meta kept.
            const runs = p.freeRuns()
            for (let i = 0; i + 1 < runs.length; i += 2) {
              expect(runs[i + 1]).toBeGreaterThan(0)
              if (i > 0) expect(runs[i]).toBeGreaterThan(runs[i - 2]! + runs[i - 1]!) // sorted, maximal runs
            }
            p = pagerOn(file, 512)
            p.slotCount = slots
            p.loadFreeRuns(runs)
          }
          // Plain checks, expect() only on a difference: this runs after each of ~8,000 operations.
          const got = [...p.freeSlots()].sort((a, b) => a - b).join()
          const want = [...free].sort((a, b) => a - b).join()
          if (p.slotCount !== slots || p.freeCount !== free.size || got !== want) {
            expect({ slotCount: p.slotCount, free: got }).toEqual({ slotCount: slots, free: want })
          }
          for (const s of used) if (s >= slots) expect.fail(`slot ${s} is in use but truncated away`)
        }
      }),
    )
    expect(cuts).toBeGreaterThan(RUNS / 10)
  })

  it('setFree replaces the list and drops those slots from the cache', () => {
    const file = new LoggingFile()
    const p = pagerOn(file, 512)
    const nodes = [0, 1, 2].map((i) => leaf(p, i))
    for (const n of nodes) p.writeNode(n)
    p.writeStaged()
    for (const n of nodes) p.cache.set(n)
    p.setFree([2, 0])
    expect(p.cache.get(0, nodes[0]!.id)).toBeUndefined()
    expect(p.cache.get(1, nodes[1]!.id)).toBe(nodes[1])
    expect([p.allocate(), p.allocate(), p.allocate()]).toEqual([0, 2, 3])
  })
})

// ---- batched writes --------------------------------------------------------------------------

describe(`writeStaged (seed ${SEED})`, () => {
  it('writes each run of adjacent slots with one write, then flushes once; pages read back', () => {
    let multi = 0
    run(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }), fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 12 }), (freeMask, chains) => {
        const file = new LoggingFile()
        const p = pagerOn(file, 512)
        p.slotCount = freeMask.length
        p.setFree(freeMask.flatMap((f, i) => (f ? [i] : [])))
        const refs: [DiskRef, Uint8Array][] = []
        const nodes: Node[] = []
        chains.forEach((len, i) => {
          if (i % 3 === 2) {
            const n = leaf(p, i)
            p.writeNode(n)
            nodes.push(n)
          } else {
            const b = bytesOf(len, i)
            refs.push([p.writeChain(b), b])
          }
        })
        // Staged pages read back before they are written, without a file read.
        const reads = p.counters.pagesRead
        for (const [ref, b] of refs) expect(same(p.readChain(ref, b.length), b)).toBe(true)
        expect(p.counters.pagesRead).toBe(reads)
        const staged = [...new Set([...refs.flatMap(([r]) => p.chainPages(r).map((x) => x.slot)), ...nodes.map((n) => n.slot)])].sort((a, b) => a - b)
        expect(p.stagedCount).toBe(staged.length)
        const written = p.counters.pagesWritten
        p.writeStaged()
        expect(p.stagedCount).toBe(0)
        expect(p.counters.pagesWritten - written).toBe(staged.length)
        expect(file.writes).toEqual(runsOf(staged).map(([s, n]) => ({ offset: s * 512, length: n * 512 })))
        expect(file.flushes).toBe(1)
        if (file.writes.length > 1) multi++
        // And from the file, through a pager that never saw them staged.
        const q = pagerOn(file, 512)
        q.slotCount = p.slotCount
        for (const [ref, b] of refs) expect(same(q.readChain(ref, b.length), b)).toBe(true)
        for (const n of nodes) expect(q.node({ slot: n.slot, id: n.id }).vals).toEqual(n.vals)
      }),
    )
    expect(multi).toBeGreaterThan(RUNS / 4)
  })

  it('after a failed write or flush, restoreAllocator gives back the slots; page ids are never reused', () => {
    for (const failAt of [0, 1, 2, 'flush'] as const) {
      const file = new LoggingFile()
      const p = pagerOn(file, 512)
      p.slotCount = 10
      p.setFree([1, 2, 5, 7, 8])
      const saved = p.saveAllocator()
      const firstIds: number[] = []
      const firstSlots: number[] = []
      for (let i = 0; i < 8; i++) {
        const n = leaf(p, i)
        p.writeNode(n)
        firstIds.push(n.id)
        firstSlots.push(n.slot)
      }
      expect(firstSlots).toEqual([1, 2, 5, 7, 8, 10, 11, 12])
      file.arm(failAt)
      expect(() => p.writeStaged()).toThrow(IOError)
      p.restoreAllocator(saved)
      expect(p.stagedCount).toBe(0)
      expect(p.slotCount).toBe(10)
      expect([...p.freeSlots()].sort((a, b) => a - b)).toEqual([1, 2, 5, 7, 8])
      // The same slots again, new ids, and this time the batch lands.
      file.arm(undefined)
      const again = Array.from({ length: 8 }, (_, i) => leaf(p, 100 + i))
      for (const n of again) p.writeNode(n)
      expect(again.map((n) => n.slot)).toEqual(firstSlots)
      expect(Math.min(...again.map((n) => n.id))).toBeGreaterThan(Math.max(...firstIds))
      p.writeStaged()
      for (const n of again) expect(p.node({ slot: n.slot, id: n.id }).vals).toEqual(n.vals)
      // A page id that was handed out before the failure is not what the slot holds now.
      expect(() => p.page({ slot: firstSlots[0]!, id: firstIds[0]! })).toThrow(CorruptionError)
    }
  })
})

// ---- overflow chains ---------------------------------------------------------------------------

/** Data pages and index pages a chain of `len` bytes takes. */
function chainShape(ps: number, len: number): { data: number; index: number } {
  const data = Math.max(1, Math.ceil(len / (ps - HEADER_SIZE)))
  return { data, index: data > 1 ? Math.ceil(data / indexCapacity(ps)) : 0 }
}

describe('overflow chains', () => {
  for (const ps of [512, 4096]) {
    const room = ps - HEADER_SIZE
    const cap = indexCapacity(ps)
    const lengths = [0, 1, room - 1, room, room + 1, 2 * room, 2 * room + 1, cap * room - 1, cap * room, cap * room + 1, (cap + 1) * room, 2 * cap * room + 1]
    it(`page size ${ps}: lengths around ${room}-byte page and ${cap}-pointer index multiples read back exactly; chainPagesFast equals chainPages`, () => {
      const file = new LoggingFile()
      const p = pagerOn(file, ps)
      const chains = lengths.map((len, i) => {
        const bytes = bytesOf(len, i)
        return { len, bytes, ref: p.writeChain(bytes) }
      })
      p.writeStaged()
      const q = pagerOn(file, ps) // reads from the file only
      q.slotCount = p.slotCount
      const slots = new Set<number>()
      for (const { len, bytes, ref } of chains) {
        expect(same(q.readChain(ref, len), bytes), `${len} bytes`).toBe(true)
        const pages = q.chainPages(ref)
        const { data, index } = chainShape(ps, len)
        expect(pages.length, `${len} bytes`).toBe(data + index)
        expect(q.chainPagesFast(ref)).toEqual(pages)
        expect(q.page(ref).header.type).toBe(index ? PageType.OverflowIndex : PageType.OverflowData)
        for (const r of pages) {
          expect(slots.has(r.slot), `slot ${r.slot} in two chains`).toBe(false)
          slots.add(r.slot)
        }
      }
      expect(slots.size).toBe(p.slotCount)
    })
  }

  it('chainPagesFast reads only the index pages', () => {
    const file = new LoggingFile()
    const p = pagerOn(file, 512)
    const ref = p.writeChain(bytesOf(3 * indexCapacity(512) * 480, 1))
    p.writeStaged()
    const q = pagerOn(file, 512)
    q.slotCount = p.slotCount
    const pages = q.chainPagesFast(ref)
    expect(q.counters.pagesRead).toBe(3)
    expect(pages.length).toBe(3 + 3 * indexCapacity(512))
  })
})

/** Runs `f` and returns the CorruptionError it throws (failing if it throws something else or nothing). */
function corruption(f: () => unknown): CorruptionError {
  try {
    f()
  } catch (e) {
    if (e instanceof CorruptionError) return e
    throw e
  }
  throw new Error('expected a CorruptionError, nothing was thrown')
}

describe('corrupted chains are CorruptionErrors', () => {
  it('a flipped byte in any page of a chain: readChain and chainPages name that page; chainPagesFast only notices index pages', () => {
    const file = new LoggingFile()
    const p = pagerOn(file, 512)
    const len = (indexCapacity(512) + 3) * 480 + 17 // two index pages
    const bytes = bytesOf(len, 9)
    const ref = p.writeChain(bytes)
    p.writeStaged()
    const pages = p.chainPages(ref)
    const indexSlots = new Set(pages.filter((r) => p.page(r).header.type === PageType.OverflowIndex).map((r) => r.slot))
    expect(indexSlots.size).toBe(2)
    for (const victim of pages) {
      const at = victim.slot * 512 + 40 + (victim.slot % 400)
      file.bytes()[at]! ^= 0x10
      const q = pagerOn(file, 512)
      q.slotCount = p.slotCount
      for (const e of [corruption(() => q.readChain(ref, len)), corruption(() => q.chainPages(ref))]) {
        expect([e.slot, e.pageId]).toEqual([victim.slot, victim.id])
        expect(e.message).toMatch(/checksum mismatch/)
      }
      if (indexSlots.has(victim.slot)) expect(corruption(() => q.chainPagesFast(ref)).slot).toBe(victim.slot)
      else expect(q.chainPagesFast(ref)).toEqual(pages)
      file.bytes()[at]! ^= 0x10
    }
    expect(same(p.readChain(ref, len), bytes)).toBe(true)
  })

  it('a chain read with the wrong length, or whose pages are of the wrong type, or that loops', () => {
    const file = new LoggingFile()
    const p = pagerOn(file, 512)
    const ref = p.writeChain(bytesOf(2000, 1))
    const single = p.writeChain(bytesOf(100, 2))
    const n = leaf(p, 1)
    p.writeNode(n)
    // An index page listing a tree page, and one whose next pointer is itself.
    const bad = { slot: p.allocate(), id: p.newId() }
    const loop = { slot: p.allocate(), id: p.newId() }
    const page = (fill: (b: Uint8Array) => void) => {
      const b = new Uint8Array(512)
      fill(b)
      return b
    }
    p.writeStaged()
    file.write(bad.slot * 512, page((b) => encodeIndexPage(b, bad.id, 1, null, [{ slot: n.slot, id: n.id }])))
    file.write(loop.slot * 512, page((b) => encodeIndexPage(b, loop.id, 1, loop, [{ slot: single.slot, id: single.id }])))
    expect(corruption(() => p.readChain(ref, 2001)).message).toMatch(/holds 2000 bytes, expected 2001/)
    expect(corruption(() => p.readChain(ref, 1999)).message).toMatch(/holds more bytes than its length/)
    expect(corruption(() => p.readChain(single, 101)).message).toMatch(/holds 100 bytes/)
    expect(corruption(() => p.chainPages(bad)).message).toMatch(/is not a data page/)
    expect(corruption(() => p.chainPagesFast({ slot: n.slot, id: n.id })).message).toMatch(/is not an index page/)
    expect(corruption(() => p.chainPagesFast(loop)).message).toMatch(/loops/)
    expect(corruption(() => p.chainPages(loop)).message).toMatch(/loops/)
    // A data page sealed with a payload claim past its end never gets as far as the chain.
    const lie = page((b) => sealPage(b, PageType.OverflowData, 0, 999, 1, 512))
    file.write(single.slot * 512, lie)
    expect(corruption(() => p.readChain({ slot: single.slot, id: 999 }, 480)).message).toMatch(/exceeds the page/)
  })
})

describe('page reads', () => {
  it('a pointer past the end of the file, or at a short page, is a CorruptionError naming it', () => {
    const file = new LoggingFile()
    const p = pagerOn(file, 512)
    const n = leaf(p, 1)
    p.writeNode(n)
    p.writeStaged()
    let e = corruption(() => p.page({ slot: 1, id: 77 }))
    expect([e.slot, e.pageId]).toEqual([1, 77])
    expect(e.message).toMatch(/past the end of the file/)
    p.slotCount = 2 // the Meta says two slots; the file holds one and a half
    file.truncate(512 + 256)
    e = corruption(() => p.page({ slot: 1, id: 77 }))
    expect(e.message).toMatch(/is short \(256 bytes\)/)
  })

  it('decoded pages come from the cache until the slot is freed; a reused slot with another id is not a hit', () => {
    const file = new LoggingFile()
    const p = pagerOn(file, 512)
    const n = leaf(p, 1)
    p.writeNode(n)
    p.writeStaged()
    const ref = { slot: n.slot, id: n.id }
    const a = p.node(ref)
    const reads = p.counters.pagesRead
    expect(p.node(ref)).toBe(a)
    expect(p.counters.pagesRead).toBe(reads)
    p.addFree([n.slot])
    const m = leaf(p, 2)
    p.writeNode(m)
    p.writeStaged()
    expect(m.slot).toBe(n.slot)
    expect(corruption(() => p.node(ref)).message).toMatch(new RegExp(`holds page ${m.id} instead`))
    expect(p.node({ slot: m.slot, id: m.id }).vals).toEqual(m.vals)
  })
})
