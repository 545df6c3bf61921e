// The page format (the table at the top of page.ts) as a contract, tested on the codec alone:
// round trips of leaf, branch, overflow index and overflow data pages at every page size, at the
// boundaries (exactly full pages, the inline/overflow thresholds, the longest keys, suffix-
// truncated separators); corruption of every byte detected as a CorruptionError naming the slot
// and page id; and golden bytes for one small page of each type, written field by field from the
// table, so that a change made symmetrically to encoder and decoder still fails here.
// Fixed seed (COWDB_SEED overrides); fast-check prints the seed and the failing case.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { shortestSeparator } from './btree.js'
import { checksum32 } from './checksum.js'
import { CorruptionError } from './errors.js'
import { MAX_KEY_BYTES } from './keys.js'
import { ENTRY_OVERHEAD, HEADER_SIZE, Layout, Node, Overflow, REF_SIZE, SEPARATOR_OVERHEAD, type DiskRef } from './node.js'
import {
  MAGIC,
  NO_SLOT,
  PageType,
  checkPage,
  decodeIndexPage,
  decodeNode,
  encodeIndexPage,
  encodeNode,
  indexCapacity,
  sealPage,
  type ChainIO,
} from './page.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261130)
const RUNS = Number(process.env.COWDB_RUNS ?? 300)
const run = <T,>(prop: fc.IProperty<T>, numRuns = RUNS) => fc.assert(prop, { seed: SEED, numRuns })

/** Every page size the engine accepts. */
export const PAGE_SIZES = [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]

/** Overflow chains kept in a Map: the codec's only collaborator, so that pages are tested alone. */
class MapChains implements ChainIO {
  chains = new Map<number, Uint8Array>()
  written: DiskRef[] = []
  reads = 0
  private next = 1
  writeChain(bytes: Uint8Array): DiskRef {
    const ref = { slot: 100_000 + this.next, id: 2 ** 40 + this.next++ }
    this.chains.set(ref.id, bytes.slice())
    this.written.push(ref)
    return ref
  }
  readChain(ref: DiskRef, length: number): Uint8Array {
    this.reads++
    const b = this.chains.get(ref.id)
    if (!b || b.length !== length) throw new Error(`no chain ${ref.id} of ${length} bytes`)
    return b
  }
}

/** Deterministic bytes: `n` bytes starting with the 2-byte index `i` (so keys differ), then a pattern. */
function bytesOf(i: number, n: number, salt = 0): Uint8Array {
  const b = new Uint8Array(n)
  for (let j = 0; j < n; j++) b[j] = j === 0 ? i >> 8 : j === 1 ? i & 255 : (i * 31 + j * 7 + salt) & 255
  return b
}

type Spec = { klen: number; vlen: number; stored?: boolean }

/**
 * A leaf from entry specs (appended to `n` if given), stopping before the first that does not
 * fit; `stored`: the value is already in a chain.
 */
function leafOf(L: Layout, specs: Spec[], io: MapChains, n = new Node(true, 41, 9, 1)): Node {
  for (const s of specs) {
    const size = L.entrySize(s.klen, s.vlen)
    if (n.size + size > L.pageSize) break
    const i = n.keys.length
    n.keys.push(bytesOf(i, Math.max(2, s.klen)).subarray(0, s.klen))
    const v = bytesOf(i, s.vlen, 1)
    if (s.stored) {
      const ref = io.writeChain(v)
      n.vals.push(new Overflow(ref.slot, ref.id, s.vlen))
    } else n.vals.push(v)
    n.size += size
  }
  return n
}

/** Entry sizes that add up to exactly `bytes` (each a valid inline entry, none under 8 bytes). */
function fillers(L: Layout, bytes: number): Spec[] {
  const out: Spec[] = []
  let left = bytes
  while (left > 0) {
    let s = Math.min(left, L.maxEntry)
    if (left - s > 0 && left - s < ENTRY_OVERHEAD + 1) s = left - (ENTRY_OVERHEAD + 1)
    const klen = Math.min(s - ENTRY_OVERHEAD, 3)
    out.push({ klen, vlen: s - ENTRY_OVERHEAD - klen })
    left -= s
  }
  return out
}

/** Encodes `n` into a fresh page and decodes it again; checks what every round trip must keep. */
function roundTrip(L: Layout, n: Node, io: MapChains): { page: Uint8Array; back: Node } {
  const want = { keys: n.keys.map((k) => k.slice()), vals: n.vals.map((v) => (v instanceof Overflow ? v : v.slice())), kids: n.kids.slice() }
  const size = L.measure(n)
  expect(n.size, 'size kept by the builder').toBe(size)
  const page = new Uint8Array(L.pageSize)
  encodeNode(n, page, L, io)
  const h = checkPage(page, 77, n.id)
  expect(h).toEqual({ type: n.leaf ? PageType.Leaf : PageType.Branch, count: n.count, id: n.id, gen: n.gen, payload: size - HEADER_SIZE })
  const back = decodeNode(page, 77, h, L, io)
  expect(back.slot).toBe(77)
  expect(back.size).toBe(size)
  expect(back.keys.length).toBe(want.keys.length)
  back.keys.forEach((k, i) => expectBytes(k, want.keys[i]!, `key ${i}`))
  const keyChains = n.keys.flatMap((k, i) => (L.keyOverflows(k.length, n.leaf, n.leaf ? valueLen(n.vals[i]!) : 0) ? [i] : []))
  expect(back.keyChains?.length ?? 0).toBe(keyChains.length)
  expect(n.keyChains).toEqual(back.keyChains) // the encoder reports the chains it wrote
  if (n.leaf) {
    back.vals.forEach((v, i) => {
      const w = want.vals[i]!
      const len = valueLen(w)
      if (L.valueOverflows(want.keys[i]!.length, len)) {
        expect(v, `value ${i} in a chain`).toBeInstanceOf(Overflow)
        if (w instanceof Overflow) expect(v).toEqual(w) // a value already in a chain keeps it
        expectBytes(io.readChain(v as Overflow, len), w instanceof Overflow ? io.readChain(w, len) : w, `value ${i}`)
      } else {
        expect(v, `value ${i} inline`).toBeInstanceOf(Uint8Array)
        expectBytes(v as Uint8Array, w instanceof Overflow ? io.readChain(w, len) : w, `value ${i}`)
      }
    })
  } else expect(back.kids).toEqual(want.kids.map((r) => ({ slot: r.slot, id: r.id })))
  return { page, back }
}
const valueLen = (v: Uint8Array | Overflow) => v.length

/** Byte equality without the matcher's per-element walk (pages here are up to 64 KiB). */
function expectBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  if (Buffer.compare(got, want) !== 0) expect(hexOf(got), what).toBe(hexOf(want))
}

const specArb = (maxV: number) =>
  fc.record({
    klen: fc.oneof(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: MAX_KEY_BYTES })),
    vlen: fc.oneof(fc.integer({ min: 0, max: 48 }), fc.integer({ min: 0, max: maxV })),
    stored: fc.boolean(),
  })

describe(`page round trips at every page size (seed ${SEED})`, () => {
  it('leaves: random entries, inline and in chains, optionally filled to exactly the page', () => {
    const seen = { full: 0, keyChains: 0, valueChains: 0, inlined: 0 }
    run(
      fc.property(fc.constantFrom(...PAGE_SIZES), fc.array(specArb(20_000), { minLength: 1, maxLength: 40 }), fc.boolean(), (ps, specs, exact) => {
        const L = new Layout(ps)
        const io = new MapChains()
        const n = leafOf(L, specs, io)
        if (exact) {
          leafOf(L, fillers(L, ps - n.size), io, n)
          expect(n.size).toBe(ps)
          seen.full++
        }
        const inlined = n.vals.filter((v, i) => v instanceof Overflow && !L.valueOverflows(n.keys[i]!.length, v.length)).length
        const { back } = roundTrip(L, n, io)
        seen.keyChains += back.keyChains?.length ?? 0
        seen.valueChains += back.vals.filter((v) => v instanceof Overflow).length
        seen.inlined += inlined
      }),
    )
    console.log('leaf round trips:', seen)
    for (const [what, count] of Object.entries(seen)) expect(count, what).toBeGreaterThan(RUNS / 10)
  })

  it('branches: random child pointers and separators (suffix-truncated, long, empty), optionally exactly full', () => {
    const ref = fc.record({ slot: fc.integer({ min: 0, max: NO_SLOT - 1 }), id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) })
    const seen = { full: 0, keyChains: 0, truncated: 0 }
    run(
      fc.property(fc.constantFrom(...PAGE_SIZES), fc.array(fc.tuple(fc.integer({ min: 0, max: MAX_KEY_BYTES }), fc.nat(40), ref), { maxLength: 40 }), ref, fc.boolean(), (ps, seps, first, exact) => {
        const L = new Layout(ps)
        const io = new MapChains()
        const n = new Node(false, 2 ** 53 - 1, 2 ** 52, 1)
        n.kids.push(first)
        n.size += REF_SIZE
        let prev: Uint8Array = new Uint8Array(0)
        for (const [len, shared, kid] of seps) {
          // A key sharing a prefix with the previous one, cut as a split cuts separators.
          const next = bytesOf(n.keys.length, len)
          next.set(prev.subarray(0, Math.min(shared, len, prev.length)))
          const sep = seps.length % 2 ? shortestSeparator(prev, next) : next
          if (sep.length < next.length) seen.truncated++
          if (n.size + L.separatorSize(sep.length) > ps) break
          n.keys.push(sep)
          n.kids.push(kid)
          n.size += L.separatorSize(sep.length)
          prev = next
        }
        if (exact) {
          // Separators of SEPARATOR_OVERHEAD + k bytes (k inline) until exactly full.
          let left = ps - n.size
          while (left >= SEPARATOR_OVERHEAD) {
            let k = Math.min(left, L.maxEntry) - SEPARATOR_OVERHEAD
            if (left - SEPARATOR_OVERHEAD - k > 0 && left - SEPARATOR_OVERHEAD - k < SEPARATOR_OVERHEAD) k = left - 2 * SEPARATOR_OVERHEAD
            n.keys.push(bytesOf(n.keys.length, Math.max(k, 2)).subarray(0, k))
            n.kids.push(first)
            n.size += L.separatorSize(k)
            left -= SEPARATOR_OVERHEAD + k
          }
          if (left === 0) {
            expect(n.size).toBe(ps)
            seen.full++
          }
        }
        seen.keyChains += roundTrip(L, n, io).back.keyChains?.length ?? 0
      }),
    )
    console.log('branch round trips:', seen)
    for (const [what, count] of Object.entries(seen)) expect(count, what).toBeGreaterThan(RUNS / 10)
  })

  it('overflow index pages: 0 to capacity pointers, with and without a next page; capacity is the most that fits', () => {
    for (const ps of PAGE_SIZES) {
      const cap = indexCapacity(ps)
      expect(HEADER_SIZE + REF_SIZE * (cap + 1)).toBeLessThanOrEqual(ps)
      expect(HEADER_SIZE + REF_SIZE * (cap + 2)).toBeGreaterThan(ps)
      for (const count of [0, 1, cap - 1, cap]) {
        for (const next of [null, { slot: NO_SLOT - 1, id: Number.MAX_SAFE_INTEGER }]) {
          const refs = Array.from({ length: count }, (_, i) => ({ slot: (i * 2_654_435_761) % NO_SLOT, id: 2 ** 53 - 1 - i }))
          const page = new Uint8Array(ps)
          encodeIndexPage(page, 12, 3, next, refs)
          const h = checkPage(page, 5, 12)
          expect(h).toEqual({ type: PageType.OverflowIndex, count, id: 12, gen: 3, payload: REF_SIZE * (count + 1) })
          expect(decodeIndexPage(page, h, 5)).toEqual({ next, refs })
        }
      }
    }
  })

  it('overflow data pages: 0 bytes to exactly the page', () => {
    for (const ps of PAGE_SIZES) {
      for (const len of [0, 1, ps - HEADER_SIZE - 1, ps - HEADER_SIZE]) {
        const page = new Uint8Array(ps)
        page.set(bytesOf(len, len), HEADER_SIZE)
        sealPage(page, PageType.OverflowData, 0, 99, 1, len)
        expect(checkPage(page, 0, 99)).toEqual({ type: PageType.OverflowData, count: 0, id: 99, gen: 1, payload: len })
        expectBytes(page.subarray(HEADER_SIZE, HEADER_SIZE + len), bytesOf(len, len), `data of ${len}`)
      }
    }
  })

  it('the inline/overflow thresholds and the longest key, on both sides, at every page size', () => {
    for (const ps of PAGE_SIZES) {
      const L = new Layout(ps)
      const M = L.maxEntry
      expect(HEADER_SIZE + 4 * M).toBeLessThanOrEqual(ps) // four of the largest entries fit a page
      const cases: [Spec, { key: boolean; value: boolean }][] = [
        [{ klen: 10, vlen: M - ENTRY_OVERHEAD - 10 }, { key: false, value: false }],
        [{ klen: 10, vlen: M - ENTRY_OVERHEAD - 9 }, { key: false, value: true }],
        [{ klen: M - ENTRY_OVERHEAD - REF_SIZE, vlen: 100_000 }, { key: false, value: true }],
        [{ klen: M - ENTRY_OVERHEAD - REF_SIZE + 1, vlen: 100_000 }, { key: true, value: true }],
        [{ klen: M - ENTRY_OVERHEAD - REF_SIZE + 1, vlen: 0 }, { key: false, value: false }], // the same key inline beside a small value
        [{ klen: MAX_KEY_BYTES, vlen: 0 }, { key: ENTRY_OVERHEAD + MAX_KEY_BYTES > M, value: ENTRY_OVERHEAD + MAX_KEY_BYTES > M }],
        [{ klen: MAX_KEY_BYTES, vlen: 5 }, { key: ENTRY_OVERHEAD + MAX_KEY_BYTES + REF_SIZE > M, value: ENTRY_OVERHEAD + MAX_KEY_BYTES + 5 > M }],
      ]
      for (const [spec, want] of cases) {
        expect({ key: L.keyOverflows(spec.klen, true, spec.vlen), value: L.valueOverflows(spec.klen, spec.vlen) }, `${ps} ${JSON.stringify(spec)}`).toEqual(want)
        const io = new MapChains()
        const n = leafOf(L, [spec, spec, spec, spec], io)
        expect(n.keys.length).toBe(4)
        const { page } = roundTrip(L, n, io)
        expect(io.written.length).toBe(4 * (Number(want.key) + Number(want.value)))
        // The stored lengths are the real ones even when the bytes are elsewhere.
        const dv = new DataView(page.buffer)
        expect([dv.getUint8(HEADER_SIZE), dv.getUint16(HEADER_SIZE + 1), dv.getUint32(HEADER_SIZE + 3)]).toEqual([Number(want.key) | (2 * Number(want.value)), spec.klen, spec.vlen])
      }
      // Separators: inline up to maxEntry bytes with the pointer, a chain beyond.
      for (const klen of [0, M - SEPARATOR_OVERHEAD, M - SEPARATOR_OVERHEAD + 1, MAX_KEY_BYTES]) {
        const io = new MapChains()
        const n = new Node(false, 3, 1, 1)
        n.kids.push({ slot: 1, id: 1 })
        n.size += REF_SIZE
        for (let i = 0; i < 3; i++) {
          n.keys.push(bytesOf(i, Math.max(2, klen)).subarray(0, klen))
          n.kids.push({ slot: i + 2, id: i + 2 })
          n.size += L.separatorSize(klen)
        }
        expect(n.size).toBeLessThanOrEqual(ps)
        roundTrip(L, n, io)
        expect(io.written.length, `${ps} separator of ${klen}`).toBe(SEPARATOR_OVERHEAD + klen > M ? 3 : 0)
      }
    }
  })

  it('a node one byte over the page is refused (it throws), not truncated', () => {
    for (const ps of [512, 4096, 65536]) {
      const L = new Layout(ps)
      const io = new MapChains()
      const n = new Node(true, 41, 9, 1)
      for (const s of fillers(L, ps - HEADER_SIZE + 1)) {
        n.keys.push(bytesOf(n.keys.length, s.klen))
        n.vals.push(new Uint8Array(s.vlen))
      }
      expect(L.measure(n)).toBe(ps + 1) // all inline
      expect(() => encodeNode(n, new Uint8Array(ps), L, io)).toThrow()
    }
  })

  it('decoded keys and inline values are views of the page (no copy), chains are read once per key', () => {
    const L = new Layout(512)
    const io = new MapChains()
    const n = leafOf(L, [{ klen: 5, vlen: 5 }, { klen: 300, vlen: 1 }], io)
    const page = new Uint8Array(512)
    encodeNode(n, page, L, io)
    const reads = io.reads
    const back = decodeNode(page, 1, checkPage(page, 1, n.id), L, io)
    expect(io.reads - reads).toBe(1)
    expect(back.keys[0]!.buffer).toBe(page.buffer)
    expect((back.vals[0] as Uint8Array).buffer).toBe(page.buffer)
  })
})

// ---- corruption ------------------------------------------------------------------------------

/** One page of each type at `ps`, sealed as page `id`; every byte of each belongs to the checksum. */
function samplePages(ps: number, id: number, io = new MapChains()): [string, Uint8Array][] {
  const L = new Layout(ps)
  const leaf = leafOf(L, [{ klen: 4, vlen: 9 }, { klen: 600, vlen: 2 }, { klen: 7, vlen: 9000 }, { klen: 3, vlen: 1 }], io)
  const leafPage = new Uint8Array(ps)
  encodeNode(Object.assign(new Node(true, id, 4, 1), { keys: leaf.keys, vals: leaf.vals, size: leaf.size }), leafPage, L, io)
  const branch = new Node(false, id, 4, 1)
  branch.kids = [{ slot: 1, id: 2 }, { slot: 3, id: 4 }, { slot: 5, id: 6 }]
  branch.keys = [bytesOf(1, 3), bytesOf(2, 700)]
  branch.size = L.measure(branch)
  const branchPage = new Uint8Array(ps)
  encodeNode(branch, branchPage, L, io)
  const indexPage = new Uint8Array(ps)
  encodeIndexPage(indexPage, id, 4, { slot: 8, id: 9 }, [{ slot: 10, id: 11 }, { slot: 12, id: 13 }])
  const dataPage = new Uint8Array(ps)
  dataPage.set(bytesOf(7, 100), HEADER_SIZE)
  sealPage(dataPage, PageType.OverflowData, 0, id, 4, 100)
  return [
    ['leaf', leafPage],
    ['branch', branchPage],
    ['index', indexPage],
    ['data', dataPage],
  ]
}

/** Expects checkPage to reject `page` as page `id` at `slot` with a CorruptionError naming both. */
function expectCorrupt(f: () => unknown, slot: number, id: number, why?: RegExp): void {
  let err: unknown
  try {
    f()
  } catch (e) {
    err = e
  }
  expect(err, 'corruption detected').toBeInstanceOf(CorruptionError)
  const c = err as CorruptionError
  expect([c.slot, c.pageId]).toEqual([slot, id])
  expect(c.message).toContain(`page ${id} at slot ${slot}`)
  if (why) expect(c.message).toMatch(why)
}

describe('corruption is detected and names the slot and page id', () => {
  // xxHash32 over a whole page (its length a multiple of 16, so every byte is in a 16-byte stripe):
  // each stripe round is a bijection of its lane, and the lanes are summed, so a change confined to
  // one lane (any change of one byte) always changes the checksum. No byte is unused: the tail
  // after the payload is zeros under the checksum, so a flip there is detected like any other.
  it('flipping any single byte of a page of each type is detected (every byte at 512..8192, sampled above)', () => {
    let flips = 0
    for (const ps of PAGE_SIZES) {
      for (const [type, page] of samplePages(ps, 31)) {
        const every = ps <= 8192
        const positions = every ? Array.from({ length: ps }, (_, i) => i) : [...Array.from({ length: 64 }, (_, i) => i), ...Array.from({ length: 200 }, (_, i) => (i * 7919 + 13) % ps), ps - 1]
        const patterns = ps === 512 ? [0xff, 1, 2, 4, 8, 16, 32, 64, 128] : [0xff]
        for (const at of positions) {
          const why = at < 2 ? 'bad magic' : 'checksum mismatch'
          for (const x of patterns) {
            page[at]! ^= x
            let err: unknown
            try {
              checkPage(page, 6, 31)
            } catch (e) {
              err = e
            }
            // Checked by hand, not with expect(): this loop runs 10^5 times.
            const ok = err instanceof CorruptionError && err.slot === 6 && err.pageId === 31 && err.message.includes(why) && err.message.includes('page 31 at slot 6')
            if (!ok) expect.fail(`${type} page of ${ps}: flip ${x} at byte ${at}: ${err instanceof Error ? err.message : 'not detected'}`)
            page[at]! ^= x
            flips++
          }
        }
        expect(checkPage(page, 6, 31).id, 'restored page checks').toBe(31)
      }
    }
    console.log(`page corruption: ${flips} single-byte flips, all detected`)
  })

  it('a well-sealed page that is not the one asked for: wrong id, unknown type, payload past the page', () => {
    for (const ps of [512, 65536]) {
      for (const [, page] of samplePages(ps, 31)) {
        expectCorrupt(() => checkPage(page, 6, 32), 6, 32, /holds page 31 instead/)
        const h = checkPage(page, 6, 31)
        for (const type of [0, 5, 255]) {
          const bad = page.slice()
          sealPage(bad, type as PageType, h.count, 31, h.gen, h.payload)
          expectCorrupt(() => checkPage(bad, 6, 31), 6, 31, new RegExp(`unknown type ${type}`))
        }
        const bad = page.slice()
        sealPage(bad, h.type, h.count, 31, h.gen, ps - HEADER_SIZE + 1)
        expectCorrupt(() => checkPage(bad, 6, 31), 6, 31, /exceeds the page/)
      }
    }
  })

  it('an all-zero (unwritten) page and a page of another store are rejected', () => {
    expectCorrupt(() => checkPage(new Uint8Array(4096), 3, 8), 3, 8, /bad magic/)
    const page = samplePages(4096, 8)[0]![1]
    new DataView(page.buffer).setUint16(0, MAGIC ^ 1)
    expectCorrupt(() => checkPage(page, 3, 8), 3, 8, /bad magic/)
  })

  it('decoding a page of the wrong kind, or whose entries overrun its payload, is a CorruptionError', () => {
    const L = new Layout(512)
    const io = new MapChains()
    const [[, leaf], [, branch], [, index], [, data]] = samplePages(512, 31, io)
    for (const p of [index!, data!]) expectCorrupt(() => decodeNode(p, 6, checkPage(p, 6, 31), L, io), 6, 31, /expected a tree page/)
    for (const p of [leaf!, branch!]) {
      const h = checkPage(p, 6, 31)
      const more = p.slice()
      sealPage(more, h.type, h.count + 1, 31, h.gen, h.payload)
      expectCorrupt(() => decodeNode(more, 6, checkPage(more, 6, 31), L, io), 6, 31, /runs past the payload/)
      const fewer = p.slice()
      sealPage(fewer, h.type, h.count - 1, 31, h.gen, h.payload)
      expectCorrupt(() => decodeNode(fewer, 6, checkPage(fewer, 6, 31), L, io), 6, 31, /payload/)
      const short = p.slice()
      sealPage(short, h.type, h.count, 31, h.gen, h.payload - 1)
      expectCorrupt(() => decodeNode(short, 6, checkPage(short, 6, 31), L, io), 6, 31, /runs past the payload/)
    }
    const empty = branch!.slice()
    sealPage(empty, PageType.Branch, 0, 31, 4, 0)
    expectCorrupt(() => decodeNode(empty, 6, checkPage(empty, 6, 31), L, io), 6, 31, /branch without children/)
  })

  it('an overflow index page whose count disagrees with its payload is a CorruptionError', () => {
    const [, index] = samplePages(512, 31)[2]!
    const h = checkPage(index, 6, 31)
    for (const count of [h.count + 1, 0xffff]) {
      const bad = index.slice()
      sealPage(bad, PageType.OverflowIndex, count, 31, h.gen, h.payload)
      expectCorrupt(() => decodeIndexPage(bad, checkPage(bad, 6, 31), 6), 6, 31, /payload/)
    }
  })
})

// ---- golden bytes ----------------------------------------------------------------------------

/** A big-endian byte writer for the expected pages, separate from the codec's own DataView code. */
function be() {
  const out: number[] = []
  const w = {
    u8: (v: number) => (out.push(v & 255), w),
    u16: (v: number) => w.u8(v >> 8).u8(v),
    u32: (v: number) => w.u16(Math.floor(v / 65536)).u16(v % 65536),
    /** An integer id as float64: sign 0, exponent 1023 + e, 52-bit mantissa. */
    f64int: (v: number) => {
      if (v === 0) return w.u32(0).u32(0)
      let e = 0
      while (2 ** (e + 1) <= v) e++
      const mant = v / 2 ** e - 1 // in [0, 1)
      const hi20 = Math.floor(mant * 2 ** 20)
      const lo32 = (mant * 2 ** 52) % 2 ** 32
      return w.u32(((1023 + e) << 20) + hi20).u32(lo32)
    },
    bytes: (b: number[]) => (out.push(...b), w),
    page: (size: number) => Uint8Array.from({ length: size }, (_, i) => out[i] ?? 0),
  }
  return w
}

/** The header of the table, with the checksum pinned as a literal. */
const header = (type: number, count: number, id: number, gen: number, checksum: number, payload: number) =>
  be().u16(0xc0db).u8(type).u8(0).u16(count).u16(0).f64int(id).f64int(gen).u32(checksum).u32(payload)

describe('golden bytes: one 512-byte page of each type, field by field from the table in page.ts', () => {
  const L = new Layout(512)
  const io = new MapChains()

  it('the expected-bytes writer itself is right about float64 ids', () => {
    for (const v of [0, 1, 3, 7, 1000, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER]) {
      const b = be().f64int(v).page(8)
      expect(new DataView(b.buffer).getFloat64(0), String(v)).toBe(v)
    }
  })

  it('leaf: an inline entry and an entry whose value is in a chain', () => {
    const n = new Node(true, 7, 3, 1)
    n.keys = [Uint8Array.of(0x20, 0x61, 0, 0), Uint8Array.of(0x20, 0x62, 0, 0)]
    n.vals = [Uint8Array.of(1, 2, 3), new Overflow(9, 5, 400)]
    n.size = L.measure(n)
    const page = new Uint8Array(512)
    encodeNode(n, page, L, io)
    const want = header(2, 2, 7, 3, 0x97b68b5e, 37)
      .bytes([0, 0, 4, 0, 0, 0, 3, 0x20, 0x61, 0, 0, 1, 2, 3]) // flags 0, key length 4, value length 3, key, value
      .bytes([2, 0, 4, 0, 0, 1, 0x90, 0x20, 0x62, 0, 0]) // flags 2 (value in a chain), key length 4, value length 400, key
      .u32(9)
      .f64int(5) // the chain's first page: slot 9, page id 5
      .page(512)
    expect(hexOf(page)).toBe(hexOf(want))
  })

  it('branch: two children and a separator', () => {
    const n = new Node(false, 8, 3, 1)
    n.kids = [{ slot: 1, id: 2 }, { slot: 3, id: 4 }]
    n.keys = [Uint8Array.of(0x20, 0x62)]
    n.size = L.measure(n)
    const page = new Uint8Array(512)
    encodeNode(n, page, L, io)
    const want = header(1, 2, 8, 3, 0xbc8e2fab, 29)
      .u32(1)
      .f64int(2) // first child
      .bytes([0, 0, 2, 0x20, 0x62]) // flags 0, key length 2, separator
      .u32(3)
      .f64int(4) // its right child
      .page(512)
    expect(hexOf(page)).toBe(hexOf(want))
  })

  it('overflow index: a next index page and two data pages; the last index page has slot 0xFFFFFFFF', () => {
    const page = new Uint8Array(512)
    encodeIndexPage(page, 6, 3, { slot: 11, id: 12 }, [{ slot: 9, id: 5 }, { slot: 10, id: 13 }])
    const want = header(4, 2, 6, 3, 0x8895a851, 36).u32(11).f64int(12).u32(9).f64int(5).u32(10).f64int(13).page(512)
    expect(hexOf(page)).toBe(hexOf(want))
    const last = new Uint8Array(512)
    encodeIndexPage(last, 12, 3, null, [{ slot: 14, id: 15 }])
    expect(hexOf(last)).toBe(hexOf(header(4, 1, 12, 3, 0xc1dc50e5, 24).u32(0xffffffff).f64int(0).u32(14).f64int(15).page(512)))
  })

  it('overflow data: raw bytes', () => {
    const page = new Uint8Array(512)
    page.set([104, 101, 108, 108, 111], HEADER_SIZE)
    sealPage(page, PageType.OverflowData, 0, 5, 3, 5)
    expect(hexOf(page)).toBe(hexOf(header(3, 0, 5, 3, 0x265379d6, 5).bytes([104, 101, 108, 108, 111]).page(512)))
  })

  it('the checksum is xxHash32 of the page with the checksum field zeroed', () => {
    const page = new Uint8Array(512)
    sealPage(page, PageType.OverflowData, 0, 5, 3, 0)
    const stored = new DataView(page.buffer).getUint32(24)
    page.fill(0, 24, 28)
    expect(stored).toBe(checksum32(page))
  })
})

function hexOf(b: Uint8Array): string {
  // Trailing zeros collapsed, so that a failure shows the header and payload, not 500 zeros.
  let end = b.length
  while (end > 0 && b[end - 1] === 0) end--
  return Array.from(b.subarray(0, end), (x) => x.toString(16).padStart(2, '0')).join(' ') + ` ... (${b.length - end} zero bytes)`
}
