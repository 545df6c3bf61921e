// The format-1 → format-2 migration against an oracle: random format-1 stores (commits with
// astral keys and range deletes on format-1 bytes, snapshots, branches from snapshots, drops,
// restores, undo/redo, checkpoints; the last part left in the WAL) are opened twice: once by
// the byte-ordered engine as they are (labelled format 2, so nothing migrates: exactly what
// format-1 code read, as the committed fixtures' EXPECTED.json is), and once migrated. Every
// head, snapshot and branch must read back the same, in IndexedDB order (idb-order.ts), with
// verify() ok and no slot leaked. Fixed seed (COWDB_SEED, COWDB_RUNS override); fast-check
// prints the seed and the failing plan.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { commitFormatOne, contents, copyStorage, formatOneBytes, formatOneString, unmigratedContents, type FormatOneOp } from '../test/format-one.js'
import { SortedBuilder, Tree, buildSorted, walk } from './btree.js'
import { Database } from './database.js'
import { CorruptionError } from './errors.js'
import { compareKeys, encodeKey } from './keys.js'
import { MemoryBlockFile, MemoryStorage } from './memory-store.js'
import { migrate } from './migrate.js'
import { Layout, type Node } from './node.js'
import { Pager } from './pager.js'
import type { Key } from './types.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261201)
const RUNS = Number(process.env.COWDB_RUNS ?? 40)

/** A deterministic clock (snapshot ids and times). */
function clock(): () => number {
  let t = Date.UTC(2026, 0, 15)
  return () => (t += 3)
}

// keys: strings that sort differently by code point and by code unit, numbers, pairs
const piece = fc.constantFrom('a', 'b', '\u{10000}', '\u{1F600}', '\uE000', '\uFFFF', '\uD7FF', 'é', '\uD800')
const str = fc.array(piece, { minLength: 1, maxLength: 3 }).map((p) => p.join(''))
const key: fc.Arbitrary<Key> = fc.oneof({ arbitrary: str, weight: 4 }, { arbitrary: fc.integer({ min: 0, max: 20 }), weight: 1 }, { arbitrary: fc.tuple(str, fc.integer({ min: 0, max: 3 })), weight: 1 })
let serial = 0
const value = fc.oneof(
  { arbitrary: fc.constant(0).map(() => formatOneString(`v${serial++}`)), weight: 8 },
  { arbitrary: fc.integer({ min: 150, max: 700 }).map((n) => formatOneString(`big${serial++}:`.padEnd(n, 'x'))), weight: 1 }, // overflow at 512
  { arbitrary: fc.constant(0).map(() => formatOneBytes(Uint8Array.of(serial++ & 255, 0, 255))), weight: 1 },
)
const op: fc.Arbitrary<FormatOneOp> = fc.oneof(
  { arbitrary: fc.record({ type: fc.constant('put' as const), key, value }), weight: 6 },
  { arbitrary: fc.record({ type: fc.constant('delete' as const), key }), weight: 2 },
  { arbitrary: fc.record({ type: fc.constant('deleteRange' as const), gte: str, lt: str }), weight: 1 },
)
type Step =
  | { t: 'commit'; b: number; ops: FormatOneOp[] }
  | { t: 'fill'; b: number; n: number; from: number }
  | { t: 'snapshot' | 'undo' | 'redo'; b: number }
  | { t: 'branch' | 'drop'; s: number }
  | { t: 'restore'; s: number; b: number }
  | { t: 'checkpoint' }
const b = fc.nat(3)
const s = fc.nat(20)
const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.record({ t: fc.constant('commit' as const), b, ops: fc.array(op, { minLength: 1, maxLength: 10 }) }), weight: 8 },
  { arbitrary: fc.record({ t: fc.constant('fill' as const), b, n: fc.integer({ min: 20, max: 200 }), from: fc.nat(1000) }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constantFrom('snapshot' as const, 'undo' as const, 'redo' as const), b }), weight: 3 },
  { arbitrary: fc.record({ t: fc.constantFrom('branch' as const, 'drop' as const), s }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('restore' as const), s, b }), weight: 1 },
  { arbitrary: fc.constant({ t: 'checkpoint' as const }), weight: 1 },
)

/**
 * Plays `plan` with format-1 bytes and returns the store as a crash right after would leave it
 * (the WAL since the last checkpoint unreplayed). History is always on: with it off, a branch's
 * pages can be freed by the cheap path (an engine bug outside the migration, reported).
 */
async function formatOneStore(plan: Step[], keepLast: number): Promise<MemoryStorage> {
  const storage = new MemoryStorage()
  const db = await Database.open(storage, { pageSize: 512, checkpointDelayMs: 0, retention: { keepLast }, now: clock() })
  const branches = ['main']
  for (const [i, st] of plan.entries()) {
    const branch = 'b' in st ? branches[st.b % branches.length] : undefined
    const snaps = await db.snapshots()
    const snap = 's' in st && snaps.length ? snaps[st.s % snaps.length]!.id : undefined
    if (st.t === 'commit') await commitFormatOne(db, st.ops, branch)
    else if (st.t === 'fill') {
      const ops = Array.from({ length: st.n }, (_, k): FormatOneOp => ({ type: 'put', key: `${(st.from + k) % 3 ? 'f' : '\u{10000}'}${st.from + k}`, value: formatOneString(`fill${serial++}`) }))
      await commitFormatOne(db, ops, branch)
    } else if (st.t === 'snapshot') await db.snapshot({ label: `s${i}`, branch })
    else if (st.t === 'undo') await db.undo({ branch })
    else if (st.t === 'redo') await db.redo({ branch })
    else if (st.t === 'branch') {
      await db.branch(`b${i}`, snap && st.s % 2 ? { from: snap } : {})
      branches.push(`b${i}`)
    } else if (st.t === 'drop' && snap) await db.dropSnapshot(snap)
    else if (st.t === 'restore' && snap) await db.restore(snap, { branch })
    else if (st.t === 'checkpoint') await db.checkpoint()
  }
  const crashed = copyStorage(storage, 2)
  await db.close()
  return crashed
}

describe(`migration of random format-1 stores (seed ${SEED})`, () => {
  it(`${RUNS} stores read back after migration as the unmigrated store does, in IndexedDB order`, async () => {
    let roots = 0
    let legacyKeys = 0
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 40 }), fc.constantFrom(2, 4), async (plan, keepLast) => {
        const store = await formatOneStore(plan, keepLast)
        const want = await unmigratedContents(store)
        const v1 = copyStorage(store, 1)
        // half the time: tiny chunks (partial trees written mid-diff) and a cache of a few pages
        if (plan.length % 2) await migrate(v1, v1.meta.meta!, { cacheBytes: 8 * 1024, chunk: 3 })
        for (let round = 0; round < 2; round++) {
          const db = await Database.open(v1, { checkpointDelayMs: 0 })
          expect(v1.meta.meta!.version).toBe(2)
          expect(await contents(db)).toEqual(want)
          expect((await db.verify()).errors).toEqual([])
          const space = await db.space()
          expect({ leaked: space.leaked, reachableButFree: space.reachableButFree }).toEqual({ leaked: 0, reachableButFree: 0 })
          await db.close()
          v1.reopen()
        }
        roots += want.snapshots.length + want.branches.length
        legacyKeys += Object.values(want.roots).flat().filter(([k]) => /[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(JSON.parse(k!))).length
      }),
      { seed: SEED, numRuns: RUNS },
    )
    console.log(`migration oracle: ${RUNS} stores, ${roots} roots, ${legacyKeys} entries under astral keys`)
    expect(legacyKeys).toBeGreaterThan(RUNS)
  }, 300_000)

  it('a range delete in the unreplayed WAL keeps its format-1 meaning (code point order), then keys re-sort', async () => {
    const storage = new MemoryStorage()
    const db = await Database.open(storage, { pageSize: 512, checkpointDelayMs: 0 })
    const keys = ['\u{10000}1', '\uE0001', '\uFFFF1', 'a']
    await commitFormatOne(db, keys.map((k) => ({ type: 'put', key: k, value: formatOneString(k) })))
    await db.checkpoint()
    // in code point order [U+E000, U+10000) holds '\uE0001' and '\uFFFF1'; in code unit order nothing
    await commitFormatOne(db, [{ type: 'deleteRange', gte: '\uE000', lt: '\u{10000}' }])
    const migrated = await Database.open(copyStorage(storage, 1), { checkpointDelayMs: 0 })
    expect((await migrated.stats()).recoveredRecords).toBe(0) // replayed by the migration, not again
    expect(await migrated.scan()).toEqual([['a', 'a'], ['\u{10000}1', '\u{10000}1']])
    expect(await migrated.scan({ gte: '\u{10000}', lt: '\uE000' })).toEqual([['\u{10000}1', '\u{10000}1']]) // IndexedDB order now
    await migrated.close()
    await db.close()
  })
})

describe('migration cost', () => {
  it('snapshots that each change one key cost pages in proportion to the change, not the store', async () => {
    const build = async (snapshots: number) => {
      const storage = new MemoryStorage()
      const db = await Database.open(storage, { pageSize: 512, checkpointDelayMs: 0 })
      const n = 3000
      await commitFormatOne(db, Array.from({ length: n }, (_, i) => ({ type: 'put', key: `${i % 4 ? 'k' : '\u{1F600}'}${i}`, value: formatOneString(`v${i}`) })))
      for (let s = 0; s < snapshots; s++) {
        await db.snapshot()
        await commitFormatOne(db, [{ type: 'put', key: `k${(s * 7919) % n}`, value: formatOneString(`changed ${s}`) }])
      }
      await db.close()
      const v1 = copyStorage(storage, 1)
      const { report, meta } = await migrate(v1, v1.meta.meta!, { cacheBytes: 1 << 24 })
      const free = meta.free.reduce((sum, x, i) => sum + (i % 2 ? x : 0), 0)
      return { report, reachable: meta.slotCount - free }
    }
    const one = await build(0)
    const many = await build(40)
    // one root: a bulk load; 40 more: each a diff of one change from the root before
    expect(one.report).toMatchObject({ roots: 1, bulkLoads: 1, diffs: 0 })
    expect(many.report).toMatchObject({ roots: 41, bulkLoads: 1, diffs: 40, changesApplied: 40 })
    // each change copies one path (3 levels at this size): far from 41 copies of the store
    expect(many.reachable).toBeLessThanOrEqual(one.reachable + 40 * 4)
    console.log(`pages: one root ${one.reachable}, 41 roots ${many.reachable}`)
  })
})

describe('format versions', () => {
  it('a store of a later format is refused by name, and left as it was', async () => {
    const storage = new MemoryStorage()
    const db = await Database.open(storage, { checkpointDelayMs: 0 })
    await db.put('k', 1)
    await db.close()
    const later = copyStorage(storage, 3)
    const before = later.pages.bytes().slice()
    await expect(Database.open(later)).rejects.toThrow(CorruptionError)
    await expect(Database.open(later)).rejects.toThrow(/format version 3; this cowdb opens formats 1 to 2/)
    expect(later.meta.meta!.version).toBe(3)
    expect(later.pages.bytes()).toEqual(before)
  })

  it('a damaged page fails the migration with a CorruptionError naming it, and leaves format 1 as it was', async () => {
    const storage = new MemoryStorage()
    const db = await Database.open(storage, { pageSize: 512, checkpointDelayMs: 0 })
    await commitFormatOne(db, Array.from({ length: 300 }, (_, i) => ({ type: 'put', key: `\u{1F600}${i}`, value: formatOneString(`v${i}`) })))
    await db.close()
    const v1 = copyStorage(storage, 1)
    const root = v1.meta.meta!.heads[0]!.root!
    const at = root.slot * 512 + 100
    const page = v1.pages.bytes()
    page[at]! ^= 0xff
    const error = await Database.open(v1).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CorruptionError)
    expect((error as CorruptionError).message).toMatch(/migrating this store from format 1 to 2 failed, and left it as it was: .*page/)
    expect((error as CorruptionError).pageId).toBe(root.id)
    expect(v1.meta.meta!.version).toBe(1)
    page[at]! ^= 0xff // repaired: the next open migrates
    const again = await Database.open(v1, { checkpointDelayMs: 0 })
    expect(await again.count()).toBe(300)
    await again.close()
  })

  it('new stores are format 2', async () => {
    const storage = new MemoryStorage()
    await (await Database.open(storage)).close()
    expect(storage.meta.meta!.version).toBe(2)
  })
})

describe('SortedBuilder', () => {
  it('streams the same tree buildSorted makes, each node emitted after its children', () => {
    for (const n of [0, 1, 7, 500, 20_000]) {
      const keys = Array.from({ length: n }, (_, i) => encodeKey(`k${String(i).padStart(6, '0')}${'x'.repeat(i % 40)}`))
      const values = keys.map((_, i) => new Uint8Array(i % 90))
      const tree = new Tree(new Pager(new MemoryBlockFile(), new Layout(512), 1 << 20))
      const whole = buildSorted(tree, keys, values)
      const emitted = new Set<Node>()
      const b = new SortedBuilder(tree, (node) => {
        // a node goes out only after all its children did (what lets them be written first)
        if (!node.leaf) expect(node.kids.every((k) => emitted.has(k as Node))).toBe(true)
        emitted.add(node)
        return node
      })
      keys.forEach((k, i) => b.add(k, values[i]!))
      const streamed = b.finish()
      const shape = (r: typeof whole): string => (!r ? 'null' : (r as Node).leaf ? `L${(r as Node).keys.length}` : `B(${(r as Node).kids.map((k) => shape(k as Node)).join(',')})`)
      expect(shape(streamed as Node | null)).toBe(shape(whole))
      const got: Uint8Array[] = []
      walk(tree, streamed, { loInclusive: true, hiInclusive: true }, false, (k) => (got.push(k), true))
      expect(got.length).toBe(n)
      for (let i = 1; i < got.length; i++) expect(compareKeys(got[i - 1]!, got[i]!)).toBeLessThan(0)
      if (n) expect([...emitted].at(-1)).toBe(streamed) // the root is emitted last, after all its children
    }
  })
})
