// Layout's arithmetic against the encoder: what entrySize, separatorSize and measure say a node
// takes is the number of bytes encodeNode writes, on both sides of every inline/overflow
// threshold at every page size; the limits keep four entries in a page; and the `size` that the
// tree's writes keep up to date by deltas equals the encoded size after every change (values and
// keys chosen to straddle the thresholds, replaced by larger and smaller ones).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkTree, memTree } from '../test/tree-harness.js'
import { insert, remove, removeRange } from './btree.js'
import { MAX_KEY_BYTES } from './keys.js'
import { ENTRY_OVERHEAD, HEADER_SIZE, Layout, Node, REF_SIZE, SEPARATOR_OVERHEAD, valueLength, Overflow } from './node.js'
import { encodeNode, type ChainIO } from './page.js'
import type { Ref } from './node.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261130)
const PAGE_SIZES = [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]

const chains: ChainIO = { writeChain: () => ({ slot: 1, id: 1 }), readChain: (_r, n) => new Uint8Array(n) }

/** Bytes encodeNode writes for `n` (header included). */
function encodedSize(L: Layout, n: Node): number {
  const page = new Uint8Array(L.pageSize)
  encodeNode(n, page, L, chains)
  return HEADER_SIZE + new DataView(page.buffer).getUint32(28)
}

/** Lengths on both sides of every threshold of `L`, plus the extremes. */
function lengthsNear(L: Layout): number[] {
  const M = L.maxEntry
  const edges = [0, 1, M - ENTRY_OVERHEAD, M - ENTRY_OVERHEAD - REF_SIZE, M - SEPARATOR_OVERHEAD, M, MAX_KEY_BYTES]
  return [...new Set(edges.flatMap((e) => [e - 1, e, e + 1]).filter((x) => x >= 0 && x <= MAX_KEY_BYTES))]
}

describe('Layout sizes are what the encoder writes', () => {
  it('entrySize and measure of a leaf, for key and value lengths around every threshold, at every page size', () => {
    let checked = 0
    for (const ps of PAGE_SIZES) {
      const L = new Layout(ps)
      const near = lengthsNear(L)
      for (const klen of near) {
        for (const vlen of [...near, 3 * ps]) {
          const n = new Node(true, 1, 1, 1)
          n.keys = [new Uint8Array(klen)]
          n.vals = [new Uint8Array(vlen)]
          const size = L.entrySize(klen, vlen)
          expect(L.measure(n)).toBe(HEADER_SIZE + size)
          expect(encodedSize(L, n), `${ps}: key ${klen}, value ${vlen}`).toBe(HEADER_SIZE + size)
          // A stored chain counts the same as the bytes it holds would.
          n.vals = [new Overflow(1, 1, vlen)]
          expect(L.measure(n)).toBe(HEADER_SIZE + size)
          expect(size).toBeLessThanOrEqual(Math.max(L.maxEntry, ENTRY_OVERHEAD + 2 * REF_SIZE))
          expect(L.valueOverflows(klen, vlen)).toBe(ENTRY_OVERHEAD + klen + vlen > L.maxEntry)
          checked++
        }
      }
    }
    console.log(`layout: ${checked} leaf entry sizes checked against the encoder`)
  })

  it('separatorSize and measure of a branch, for key lengths around every threshold, at every page size', () => {
    for (const ps of PAGE_SIZES) {
      const L = new Layout(ps)
      for (const klen of lengthsNear(L)) {
        const n = new Node(false, 1, 1, 1)
        n.kids = [{ slot: 1, id: 2 }, { slot: 3, id: 4 }]
        n.keys = [new Uint8Array(klen)]
        expect(L.measure(n)).toBe(HEADER_SIZE + REF_SIZE + L.separatorSize(klen))
        expect(encodedSize(L, n), `${ps}: separator ${klen}`).toBe(L.measure(n))
        expect(L.separatorSize(klen)).toBeLessThanOrEqual(L.maxEntry)
        expect(L.keyOverflows(klen, false)).toBe(SEPARATOR_OVERHEAD + klen > L.maxEntry)
      }
    }
  })

  it('a page holds four of the largest entries, and a node over the page has enough of them for a split in two', () => {
    for (const ps of PAGE_SIZES) {
      const L = new Layout(ps)
      expect(HEADER_SIZE + 4 * L.maxEntry).toBeLessThanOrEqual(ps)
      // Over the page: at least five leaf entries, or four separators (one moves up, each side keeps one).
      expect(Math.ceil((ps - HEADER_SIZE + 1) / L.maxEntry)).toBeGreaterThanOrEqual(5)
      expect(Math.ceil((ps - HEADER_SIZE - REF_SIZE + 1) / L.maxEntry)).toBeGreaterThanOrEqual(4)
      expect(L.minFill).toBe(ps / 4)
    }
  })
})

describe(`node sizes kept by the tree's writes (seed ${SEED})`, () => {
  it('after every insert, replace, remove and removeRange, each node size equals its encoded size', () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('put' as const), k: fc.nat(40), klen: fc.nat(300), vlen: fc.oneof(fc.nat(130), fc.nat(2000)) }),
      fc.record({ t: fc.constant('del' as const), k: fc.nat(40), klen: fc.nat(300) }),
      fc.record({ t: fc.constant('range' as const), a: fc.nat(40), b: fc.nat(40) }),
      fc.constant({ t: 'freeze' as const }),
    )
    // Keys: an index then a length, so that one index has one key and the lengths straddle the
    // 512-byte page's thresholds (maxEntry 120).
    const key = (k: number, klen: number) => {
      const b = new Uint8Array(2 + (klen % 140))
      b[0] = k
      b[1] = 1
      return b
    }
    let changes = 0
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200, size: 'max' }), (ops) => {
        const { tree: t } = memTree(512)
        let root: Ref | null = null
        // Key index -> its key length (fixed when first written) and its value's length.
        const model = new Map<number, { klen: number; vlen: number }>()
        for (const o of ops) {
          if (o.t === 'put') {
            const klen = model.get(o.k)?.klen ?? o.klen
            model.set(o.k, { klen, vlen: o.vlen })
            root = insert(t, root, key(o.k, klen), new Uint8Array(o.vlen))
          } else if (o.t === 'del') {
            if (model.has(o.k)) root = remove(t, root, key(o.k, model.get(o.k)!.klen))
            model.delete(o.k)
          } else if (o.t === 'range') {
            const [a, b] = o.a <= o.b ? [o.a, o.b] : [o.b, o.a]
            root = removeRange(t, root, { lo: Uint8Array.of(a), loInclusive: true, hi: Uint8Array.of(b), hiInclusive: false })
            for (const k of [...model.keys()]) if (k >= a && k < b) model.delete(k)
          } else t.freeze()
          const shape = checkTree(t, root) // size === measure === encoded bytes, for every node
          const want = [...model].sort(([a], [b]) => a - b).map(([k, { klen, vlen }]) => [k, 2 + (klen % 140), vlen])
          expect(shape.entries.map(([k, v]) => [k[0], k.length, valueLength(v)])).toEqual(want)
          changes++
        }
      }),
      { seed: SEED, numRuns: 40 },
    )
    expect(changes).toBeGreaterThan(2000)
  })
})
