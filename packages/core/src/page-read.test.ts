// Reads over published pages (page-read.ts) against the engine's own reads: random stores, every
// page of the head published by id (page-publish.ts), then gets, scans and counts over random
// keys and ranges must answer exactly what the engine answers, or MISS only where an entry sits
// in an overflow chain. A page that is absent or changed under a read makes it MISS, never wrong.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Database } from './database.js'
import { DurableFeed } from './durable.js'
import { decodeKey, encodeKey, encodeRange } from './keys.js'
import { MemoryStorage } from './memory-store.js'
import { PagePublisher } from './page-publish.js'
import { MISS, entryOffsets, maxEntries, readCount, readRange, readValue, type PageSource } from './page-read.js'
import type { Key, Range } from './types.js'
import { decodeValue } from './values.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261126)
const RUNS = Number(process.env.COWDB_RUNS ?? 30)
const PAGE = 1024

/** Pages laid out one after another, each followed by its entry directory; versions by offset. */
class ArraySource implements PageSource {
  readonly bytes: Uint8Array
  readonly view: DataView
  version = 0
  private readonly offsets = new Map<number, number>()
  private readonly versions = new Map<number, number>()
  private readonly dirs: Uint16Array
  private readonly stride: number

  constructor(
    readonly pageSize: number,
    pages: Map<number, Uint8Array>,
  ) {
    this.stride = pageSize + maxEntries(pageSize) * 2
    this.bytes = new Uint8Array(this.stride * pages.size)
    this.view = new DataView(this.bytes.buffer)
    this.dirs = new Uint16Array(this.bytes.buffer)
    let at = 0
    for (const [id, page] of pages) {
      this.bytes.set(page, at)
      expect(entryOffsets(page, this.dirs.subarray((at + pageSize) / 2, (at + this.stride) / 2))).toBeGreaterThanOrEqual(0)
      this.offsets.set(id, at)
      this.versions.set(at, 2)
      at += this.stride
    }
  }
  find(id: number): number {
    const at = this.offsets.get(id)
    if (at === undefined) return -1
    this.version = this.versions.get(at)!
    return at
  }
  unchanged(at: number, version: number): boolean {
    return this.versions.get(at) === version
  }
  entryAt(at: number, i: number): number {
    return at + this.dirs[(at + this.pageSize) / 2 + i]!
  }
  /** A writer overwrote page `id` (its version moves on). */
  bump(id: number): void {
    const at = this.offsets.get(id)!
    this.versions.set(at, this.versions.get(at)! + 2)
  }
  /** The page left the source. */
  evict(id: number): void {
    this.offsets.delete(id)
  }
}

/** Every page the head reaches, handed over by the publisher (as a reader missing them gets them); the root id. */
function publish(storage: MemoryStorage): { pages: Map<number, Uint8Array>; root: number } {
  const feed = DurableFeed.of(storage.pages)!
  const pages = new Map<number, Uint8Array>()
  const publisher = new PagePublisher(feed, { has: (id) => pages.has(id), put: (id, encode) => {
      const page = new Uint8Array(feed.layout.pageSize)
      return encode(page) && (pages.set(id, page), true)
    } })
  const root = publisher.roots().heads.find(([name]) => name === 'main')![1]
  publisher.warmRange(undefined, encodeRange({}), false, Infinity)
  return { pages, root }
}

const smallKey: fc.Arbitrary<Key> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 600 }) },
  { weight: 3, arbitrary: fc.string({ maxLength: 5 }) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 5 }), fc.string({ maxLength: 2 })).map((t) => [...t] as Key) },
)
const smallValue = fc.oneof(fc.integer(), fc.string({ maxLength: 30 }), fc.record({ a: fc.integer(), b: fc.string({ maxLength: 8 }) }))
/** With `chains`, some keys and values too large for a 1 KiB page's entry: they sit in overflow chains. */
const keyArb = (chains: boolean): fc.Arbitrary<Key> => (chains ? fc.oneof({ weight: 10, arbitrary: smallKey }, { weight: 1, arbitrary: fc.string({ minLength: 300, maxLength: 400 }) }) : smallKey)
const valueArb = (chains: boolean): fc.Arbitrary<unknown> => (chains ? fc.oneof({ weight: 9, arbitrary: smallValue }, { weight: 1, arbitrary: fc.integer({ min: 300, max: 3000 }).map((n) => 'v'.repeat(n)) }) : smallValue)
const rangeArb: fc.Arbitrary<Range> = fc
  .record({ lo: fc.option(smallKey, { nil: undefined }), hi: fc.option(smallKey, { nil: undefined }), loInc: fc.boolean(), hiInc: fc.boolean() })
  .map(({ lo, hi, loInc, hiInc }) => {
    const r: Range = {}
    if (lo !== undefined) r[loInc ? 'gte' : 'gt'] = lo
    if (hi !== undefined) r[hiInc ? 'lte' : 'lt'] = hi
    return r
  })

describe('reads over published pages', () => {
  it('answer what the engine answers, in memory and after a checkpoint; MISS only where entries are chained', async () => {
    const store = (chains: boolean) =>
      fc.record({
        chains: fc.constant(chains),
        puts: fc.array(fc.tuple(keyArb(chains), valueArb(chains)), { minLength: 1, maxLength: 400 }),
        deletes: fc.array(smallKey, { maxLength: 6 }),
        probes: fc.array(smallKey, { minLength: 5, maxLength: 30 }),
        ranges: fc.array(fc.tuple(rangeArb, fc.boolean(), fc.integer({ min: 1, max: 60 })), { minLength: 2, maxLength: 8 }),
        checkpoint: fc.boolean(),
      })
    let answered = 0
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 3, arbitrary: store(false) }, { weight: 1, arbitrary: store(true) }),
        async ({ chains, puts, deletes, probes, ranges, checkpoint }) => {
          const storage = new MemoryStorage()
          const db = await Database.open(storage, { pageSize: PAGE, checkpointDelayMs: 0 })
          await db.batch(puts.map(([key, value]) => ({ type: 'put' as const, key, value })))
          for (const k of deletes) await db.delete(k)
          if (checkpoint) await db.checkpoint()
          const { pages, root } = publish(storage)
          const src = new ArraySource(PAGE, pages)
          // without chained entries every page is published and every read must be answered
          const any = chains
          for (const k of [...probes, ...puts.slice(0, 20).map(([k]) => k)]) {
            const got = readValue(src, root, encodeKey(k))
            const want = await db.get(k)
            if (got === MISS) expect(any).toBe(true)
            else (answered++, expect(got === undefined ? undefined : decodeValue(got)).toEqual(want))
          }
          for (const [range, reverse, limit] of ranges) {
            const out: [Uint8Array, Uint8Array][] = []
            const ok = readRange(src, root, encodeRange(range), reverse, limit, out)
            const want = await db.scan({ ...range, reverse, limit })
            if (!ok) {
              expect(any).toBe(true)
              expect(out).toEqual([])
            } else expect(out.map(([k, v]) => [decodeKey(k), decodeValue(v)])).toEqual(want)
            const n = readCount(src, root, encodeRange(range))
            if (n === MISS) expect(any).toBe(true)
            else expect(n).toBe(await db.count(range))
          }
          await db.close()
        },
      ),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    )
    expect(answered).toBeGreaterThan(RUNS * 10)
  })

  it('MISS when a page on the path is absent or was overwritten during the read, never a wrong answer', async () => {
    const storage = new MemoryStorage()
    const db = await Database.open(storage, { pageSize: PAGE, checkpointDelayMs: 0 })
    await db.batch(Array.from({ length: 3000 }, (_, i) => ({ type: 'put' as const, key: i, value: `value ${i}` })))
    const { pages, root } = publish(storage)
    const key = encodeKey(1234)
    const all = new ArraySource(PAGE, pages)
    expect(decodeValue(readValue(all, root, key) as Uint8Array)).toBe('value 1234')
    expect(readCount(all, root, encodeRange({}))).toBe(3000)
    // the pages the read touches, root first
    const path: number[] = []
    const watch = new ArraySource(PAGE, pages)
    const find = watch.find.bind(watch)
    watch.find = (id) => (path.push(id), find(id))
    readValue(watch, root, key)
    expect(path.length).toBeGreaterThan(2)
    for (const id of path) {
      const gone = new ArraySource(PAGE, pages)
      gone.evict(id)
      expect(readValue(gone, root, key)).toBe(MISS)
      expect(readCount(gone, root, encodeRange({}))).toBe(MISS)
      const out: [Uint8Array, Uint8Array][] = []
      expect(readRange(gone, root, encodeRange({ gte: 1000 }), false, 1000, out)).toBe(false)
      expect(out).toEqual([])
      // overwritten between find() and the check that follows the read of the page
      const moved = new ArraySource(PAGE, pages)
      const findMoved = moved.find.bind(moved)
      moved.find = (x) => {
        const at = findMoved(x)
        if (x === id) moved.bump(id)
        return at
      }
      expect(readValue(moved, root, key)).toBe(MISS)
    }
    // garbage where the page should be: MISS (the id in the header does not match), no throw
    const torn = new ArraySource(PAGE, pages)
    const at = torn.find(path[1]!)
    torn.bytes.fill(0xa5, at, at + PAGE)
    expect(readValue(torn, root, key)).toBe(MISS)
    await db.close()
  })
})
