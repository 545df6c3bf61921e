import { describe, expect, it } from 'vitest'
import { Database } from './database.js'
import type { DatabaseOptions } from './options.js'
import { ClosedError, CorruptionError, DataCloneError, SnapshotNotFoundError } from './errors.js'
import { MemoryStorage } from './memory-store.js'

const quiet: DatabaseOptions = { checkpointDelayMs: 0 }
const key = (i: number) => `k${String(i).padStart(6, '0')}`

async function fresh(opts: DatabaseOptions = {}) {
  const storage = new MemoryStorage()
  const db = await Database.open(storage, { ...quiet, ...opts })
  return { storage, db }
}

describe('Database basics', () => {
  it('puts, gets, overwrites, deletes, and keeps key types', async () => {
    const { db } = await fresh()
    await db.put('a', { x: 1 })
    await db.put(2, 'two')
    await db.put(new Uint8Array([1, 2]), new Date(5))
    await db.put(['p', 1], 10n ** 30n)
    expect(await db.get('a')).toEqual({ x: 1 })
    expect(await db.get(2)).toBe('two')
    expect(await db.get(new Uint8Array([1, 2]))).toEqual(new Date(5))
    expect(await db.get(['p', 1])).toBe(10n ** 30n)
    const keys = (await db.scan()).map(([k]) => k)
    expect(keys).toEqual([2, 'a', new Uint8Array([1, 2]), ['p', 1]])
    expect(keys[2]).toBeInstanceOf(Uint8Array)
    await db.put('a', 'again')
    await db.delete(2)
    expect(await db.get('a')).toBe('again')
    expect(await db.get(2)).toBeUndefined()
    expect(await db.count()).toBe(3)
    await db.close()
  })

  it('reads at a snapshot see the state when it was taken', async () => {
    const { db } = await fresh()
    for (let i = 0; i < 500; i++) await db.put(key(i), i)
    const snap = await db.snapshot({ label: 'before' })
    await db.deleteRange({ gte: key(100), lt: key(400) })
    await db.put(key(5), 'changed')
    expect(await db.get(key(5), { snapshot: snap.id })).toBe(5)
    expect(await db.get(key(200), { snapshot: snap.id })).toBe(200)
    expect(await db.get(key(200))).toBeUndefined()
    expect(await db.count()).toBe(200)
    expect(await db.count({}, { snapshot: snap.id })).toBe(500)
    expect((await db.snapshots()).map((s) => s.label)).toEqual(['before'])
    await db.close()
  })

  it('scans with bounds, limit and reverse', async () => {
    const { db } = await fresh({ pageSize: 512 })
    await db.batch(Array.from({ length: 1000 }, (_, i) => ({ type: 'put' as const, key: i, value: i * 2 })))
    expect(await db.scan({ gte: 10, lt: 15 })).toEqual([10, 11, 12, 13, 14].map((i) => [i, i * 2]))
    expect(await db.scan({ gt: 10, lte: 15, reverse: true, limit: 2 })).toEqual([
      [15, 30],
      [14, 28],
    ])
    expect((await db.scan({ limit: 5000 })).length).toBe(1000)
    expect((await db.scan()).length).toBe(1000)
    const seen: number[] = []
    for await (const [k] of db.iterate({ gte: 100 })) seen.push(k as number)
    expect(seen).toEqual(Array.from({ length: 900 }, (_, i) => i + 100))
    await db.close()
  })

  it('survives close and reopen, with snapshots', async () => {
    const { storage, db } = await fresh({ pageSize: 1024 })
    for (let i = 0; i < 300; i++) await db.put(key(i), 'v' + i)
    const s = await db.snapshot()
    await db.put(key(1), 'new')
    await db.close()
    const db2 = await Database.open(storage.reopen(), quiet)
    expect(await db2.get(key(1))).toBe('new')
    expect(await db2.get(key(1), { snapshot: s.id })).toBe('v1')
    expect(await db2.count()).toBe(300)
    await db2.close()
  })

  it('recovers commits from the WAL after a crash (no close, no checkpoint)', async () => {
    const { storage, db } = await fresh({ walCheckpointBytes: 1e9 })
    for (let i = 0; i < 200; i++) await db.put(key(i), i)
    const s = await db.snapshot()
    await db.delete(key(3))
    // crash: the process dies; nothing more is written
    const db2 = await Database.open(storage.reopen(), quiet)
    expect(await db2.count()).toBe(199)
    expect(await db2.get(key(3), { snapshot: s.id })).toBe(3)
    const st = await db2.stats()
    expect(st.recoveredRecords).toBe(202)
    await db2.close()
  })

  it('stores large values in overflow chains (8 MiB here; 64 MiB in the bench)', async () => {
    const { storage, db } = await fresh()
    const big = new Uint8Array(8 * 1024 * 1024).map((_, i) => (i * 7) & 255)
    await db.put('big', big)
    await db.put('small', 1)
    await db.close()
    const db2 = await Database.open(storage.reopen(), quiet)
    const got = (await db2.get('big')) as Uint8Array
    expect(got.length).toBe(big.length)
    expect(Buffer.compare(Buffer.from(got), Buffer.from(big))).toBe(0)
    expect((await db2.verify()).ok).toBe(true)
    await db2.close()
  })

  it('a batch of many puts copies each touched page once', async () => {
    const { db } = await fresh()
    const n = 100_000
    await db.batch(Array.from({ length: n }, (_, i) => ({ type: 'put' as const, key: key((i * 7919) % n), value: 'x'.repeat(20) })))
    await db.checkpoint()
    const st = await db.stats()
    // every page created is a page of the final tree (a split makes one new page, no copies)
    expect(st.pagesCreated).toBe(st.pagesWritten)
    await db.close()
  })

  it('deleteRange drops whole subtrees without visiting them', async () => {
    const { db } = await fresh({ pageSize: 1024 })
    await db.batch(Array.from({ length: 25_000 }, (_, i) => ({ type: 'put' as const, key: key(i), value: i })))
    await db.checkpoint()
    const before = await db.stats()
    await db.deleteRange({ gte: key(1000), lt: key(24_000) })
    const after = await db.stats()
    const loads = after.cacheHits + after.cacheMisses - before.cacheHits - before.cacheMisses
    expect(before.pagesLive).toBeGreaterThan(500)
    expect(loads).toBeLessThan(60)
    expect(await db.count()).toBe(2000)
    expect((await db.verify()).ok).toBe(true)
    await db.close()
  })

  it('snapshot() is O(1): no page is written or copied', async () => {
    const { db } = await fresh()
    await db.batch(Array.from({ length: 20_000 }, (_, i) => ({ type: 'put' as const, key: i, value: i })))
    await db.checkpoint()
    const before = await db.stats()
    const s = await db.snapshot()
    const after = await db.stats()
    expect(after.pagesCreated).toBe(before.pagesCreated)
    expect(after.pagesWritten).toBe(before.pagesWritten)
    expect(s.root).toBeGreaterThan(0)
    await db.close()
  })
})

describe('bad input', () => {
  it('rejects bad keys, values, ranges, ids and options with typed errors and stays usable', async () => {
    const { db } = await fresh()
    await db.put('ok', 1)
    await expect(db.put(undefined as never, 1)).rejects.toBeInstanceOf(TypeError)
    await expect(db.put({} as never, 1)).rejects.toThrow(/key/)
    await expect(db.put(NaN, 1)).rejects.toThrow(/NaN/)
    await expect(db.put('x'.repeat(3000), 1)).rejects.toThrow(/2048/)
    await expect(db.put('k', undefined)).rejects.toThrow(/undefined/)
    await expect(db.put('k', () => 1)).rejects.toBeInstanceOf(DataCloneError)
    await expect(db.batch([{ type: 'put', key: 'a', value: 1 }, { type: 'nope' } as never])).rejects.toThrow(/op 1/)
    await expect(db.scan({ gt: 1, gte: 2 })).rejects.toBeInstanceOf(TypeError)
    await expect(db.scan({ limit: -1 })).rejects.toBeInstanceOf(TypeError)
    await expect(db.get('ok', { snapshot: 'nope' })).rejects.toBeInstanceOf(SnapshotNotFoundError)
    await expect(db.dropSnapshot('nope')).rejects.toBeInstanceOf(SnapshotNotFoundError)
    await expect(db.restore('nope')).rejects.toBeInstanceOf(SnapshotNotFoundError)
    await expect(Database.open(new MemoryStorage(), { pageSize: 1000 })).rejects.toThrow(/pageSize/)
    // nothing of the bad batch landed, and the db still works
    expect(await db.get('a')).toBeUndefined()
    expect(await db.get('ok')).toBe(1)
    await db.put('after', 2)
    expect(await db.count()).toBe(2)
    await db.close()
    await expect(db.get('ok')).rejects.toBeInstanceOf(ClosedError)
  })
})

describe('corruption', () => {
  it('a flipped byte in any page gives CorruptionError or the right value, never a wrong one', async () => {
    const storage = new MemoryStorage()
    const db = await Database.open(storage, { ...quiet, pageSize: 512 })
    const n = 400
    await db.batch(Array.from({ length: n }, (_, i) => ({ type: 'put' as const, key: key(i), value: 'value-' + i })))
    await db.close()
    const pages = storage.pages.bytes()
    const slots = pages.length / 512
    let detected = 0
    for (let slot = 0; slot < slots; slot++) {
      const at = slot * 512 + 40 + ((slot * 97) % 400)
      pages[at]! ^= 0x5a
      const d = await Database.open(storage.reopen(), quiet)
      for (let i = 0; i < n; i++) {
        try {
          expect(await d.get(key(i))).toBe('value-' + i)
        } catch (e) {
          if (!(e instanceof CorruptionError)) throw e
          expect(e.message).toMatch(/page \d+ at slot \d+/)
        }
      }
      const report = await d.verify()
      if (!report.ok) detected++
      pages[at]! ^= 0x5a
      await d.close()
    }
    // every live page's damage is detected by verify()
    expect(detected).toBe(slots)
  })
})

describe('readers and space', () => {
  it('an open iterator keeps a dropped snapshot readable through gc()', async () => {
    const { db } = await fresh({ pageSize: 512 })
    await db.batch(Array.from({ length: 2000 }, (_, i) => ({ type: 'put' as const, key: i, value: 'old' + i })))
    const s = await db.snapshot()
    await db.checkpoint() // the snapshot's pages are on disk now
    await db.batch(Array.from({ length: 2000 }, (_, i) => ({ type: 'put' as const, key: i, value: 'new' + i })))
    await db.checkpoint()
    const it = db.iterate({ snapshot: s.id })[Symbol.asyncIterator]()
    const seen: unknown[] = [(await it.next()).value]
    await db.dropSnapshot(s.id)
    const freed = await db.gc()
    await db.batch(Array.from({ length: 2000 }, (_, i) => ({ type: 'put' as const, key: i + 5000, value: 'reuse' }))) // reuses free slots
    await db.checkpoint()
    const held = (await db.space()).reachable
    for (let r = await it.next(); !r.done; r = await it.next()) seen.push(r.value)
    expect(seen).toEqual(Array.from({ length: 2000 }, (_, i) => [i, 'old' + i]))
    // once the reader is gone, its pages come back (its deadlist frees them at the next checkpoint)
    await db.gc()
    const after = await db.space()
    expect(held - after.reachable).toBeGreaterThan(10)
    expect(after.leaked + after.reachableButFree).toBe(0)
    expect(freed.pagesFreed).toBeLessThan(5) // while the reader was open, its pages stayed
    expect((await db.verify()).ok).toBe(true)
    await db.close()
  })

  it('overwriting the same keys forever reuses space (no snapshots: the cheap path frees)', async () => {
    const { db } = await fresh({ pageSize: 1024 })
    const sizes: number[] = []
    for (let round = 0; round < 30; round++) {
      await db.batch(Array.from({ length: 500 }, (_, i) => ({ type: 'put' as const, key: i, value: { round, i } })))
      await db.checkpoint()
      sizes.push((await db.stats()).fileBytes)
    }
    expect(sizes[29]).toBe(sizes[9]) // the file stopped growing
    await db.close()
  })
})

describe('background gc', () => {
  it('frees a dropped snapshot’s pages on its own', async () => {
    const storage = new MemoryStorage()
    const db = await Database.open(storage, { pageSize: 512, checkpointDelayMs: 20 })
    await db.batch(Array.from({ length: 1000 }, (_, i) => ({ type: 'put' as const, key: i, value: 'a' + i })))
    const s = await db.snapshot()
    await db.checkpoint()
    await db.batch(Array.from({ length: 1000 }, (_, i) => ({ type: 'put' as const, key: i, value: 'b' + i })))
    await db.checkpoint()
    const before = await db.stats()
    await db.dropSnapshot(s.id)
    await new Promise((r) => setTimeout(r, 300))
    const after = await db.stats()
    expect(after.gcRuns).toBe(before.gcRuns + 1)
    expect(after.pagesFree + (after.fileBytes < before.fileBytes ? 1 : 0)).toBeGreaterThan(before.pagesFree)
    expect((await db.verify()).ok).toBe(true)
    await db.close()
  })

  it('marks in steps while writers commit, snapshots drop and a large commit waits; frees nothing reachable', async () => {
    const storage = new MemoryStorage()
    // small pages and a small large-commit threshold: thousands of pages (several marking steps)
    const db = await Database.open(storage, { pageSize: 512, checkpointDelayMs: 0, largeCommitBytes: 4000, walCheckpointBytes: 16 * 1024 })
    const model = new Map<number, string>()
    const put = (k: number, v: string) => (model.set(k, v), { type: 'put' as const, key: k, value: v })
    for (let b = 0; b < 10; b++) await db.batch(Array.from({ length: 1000 }, (_, i) => put(b * 1000 + i, `v${i}`.padEnd(100, '.'))))
    const old = await db.snapshot()
    await db.batch(Array.from({ length: 500 }, (_, i) => put(i * 7, 'second')))
    // a range delete's dropped subtrees are never visited: once `old` goes, only a gc's marking finds them
    await db.deleteRange({ gte: 6000, lt: 8000 })
    for (let k = 6000; k < 8000; k++) model.delete(k)
    const recent = await db.snapshot()
    await db.dropSnapshot(old.id) // the pages its deadlist holds are freed at the gc's first checkpoint
    expect((await db.space()).slots).toBeGreaterThan(3 * 1024) // several marking steps
    let marking = true
    const gc = db.gc().finally(() => (marking = false))
    let during = 0
    const writes: Promise<unknown>[] = []
    for (let i = 0; marking && i < 2000; i++) {
      writes.push(db.put(i % 10_000, (model.set(i % 10_000, `w${i}`), `w${i}`)))
      if (i === 5) writes.push(db.dropSnapshot(recent.id)) // dropped while marking
      if (i === 7) {
        writes.push(db.deleteRange({ gte: 8000, lt: 9000 })) // reachable when marking began: the next gc frees it
        for (let k = 8000; k < 9000; k++) model.delete(k)
      }
      if (i === 10) writes.push(db.batch(Array.from({ length: 100 }, (_, j) => put(20_000 + j, 'large commit'))))
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 0))
      if (marking) during++
    }
    const stats = await gc
    await Promise.all(writes)
    expect(during).toBeGreaterThan(10) // writers really ran while it marked
    expect(stats.pagesFreed).toBeGreaterThan(0)
    expect((await db.gc()).pagesFreed).toBeGreaterThan(0)
    const space = await db.space()
    expect(space.leaked + space.reachableButFree).toBe(0)
    expect(new Map((await db.scan({ limit: 1e6 })).map(([k, v]) => [k as number, v as string]))).toEqual(model)
    expect((await db.verify()).ok).toBe(true)
    await db.close()
    const again = await Database.open(storage.reopen(), { checkpointDelayMs: 0 })
    expect((await again.scan({ limit: 1e6 })).length).toBe(model.size)
    expect(await again.get(20_050)).toBe('large commit')
    await again.close()
  })
})

describe('retention of named snapshots', () => {
  it('keeps every named snapshot by default; with keepNamed: false they age out by keepLast, durably', async () => {
    const { storage, db } = await fresh({ retention: { keepLast: 2 } })
    const ids: string[] = []
    for (let i = 0; i < 4; i++) {
      await db.put('x', i)
      ids.push((await db.snapshot({ label: `s${i}` })).id)
    }
    const named = async (d: Database) => (await d.snapshots()).filter((s) => s.kind === 'named').map((s) => s.id)
    expect(await named(db)).toEqual(ids)
    await db.setRetention({ keepNamed: false })
    expect(await named(db)).toEqual(ids.slice(2))
    await expect(db.get('x', { snapshot: ids[0]! })).rejects.toThrow(SnapshotNotFoundError)
    await db.put('x', 4)
    ids.push((await db.snapshot()).id)
    expect(await named(db)).toEqual(ids.slice(3))
    expect(await db.get('x', { snapshot: ids[3]! })).toBe(3)
    await db.close()
    const again = await Database.open(storage.reopen(), quiet)
    expect(await named(again)).toEqual(ids.slice(3))
    expect((await again.getRetention()).keepNamed).toBe(false)
    const space = await again.space()
    expect(space.leaked + space.reachableButFree).toBe(0)
    await again.close()
  })
})

describe('write order', () => {
  it('writers that wait for a checkpoint go in call order, whatever the microtask timing', async () => {
    const { db } = await fresh({ pageSize: 512 })
    for (let ticks = 0; ticks < 12; ticks++) {
      await db.put('k', 'dirty')
      const running = db.checkpoint()
      const first = db.put('k', `first ${ticks}`) // waits for the checkpoint
      // a second writer arrives some ticks after the checkpoint ends: it must not overtake
      const second = running.then(async () => {
        for (let i = 0; i < ticks; i++) await null
        return db.put('k', `second ${ticks}`)
      })
      const [a, b] = await Promise.all([first, second])
      expect(b.generation, `ticks ${ticks}`).toBeGreaterThan(a.generation)
      expect(await db.get('k'), `ticks ${ticks}`).toBe(`second ${ticks}`)
    }
    await db.close()
  })

  it('a busy writer that never yields to timers still gets a dropped snapshot collected', async () => {
    const db = await Database.open(new MemoryStorage(), { pageSize: 512, checkpointDelayMs: 1000, walCheckpointBytes: 4096 })
    await db.batch(Array.from({ length: 500 }, (_, i) => ({ type: 'put' as const, key: i, value: 'a' + i })))
    const s = await db.snapshot()
    await db.batch(Array.from({ length: 500 }, (_, i) => ({ type: 'put' as const, key: i, value: 'b' + i })))
    const before = await db.stats()
    await db.dropSnapshot(s.id)
    // awaited writes on memory storage settle in microtasks: no timer can fire in this loop
    for (let i = 0; i < 300; i++) await db.put(i, 'c' + i)
    const after = await db.stats()
    expect(after.gcRuns).toBeGreaterThan(before.gcRuns)
    expect(after.pagesFree).toBeGreaterThan(0)
    expect((await db.verify()).ok).toBe(true)
    await db.close()
  })
})

describe('catalog events', () => {
  it('snapshots, branches, head moves and retention each dispatch one catalog event once durable', async () => {
    const { db } = await fresh({ retention: { keepLast: 5 } })
    const seen: string[] = []
    db.addEventListener('catalog', (e) => seen.push(`${(e as any).change}${(e as any).branch ? ` ${(e as any).branch}` : ''}`))
    await db.put('a', 1)
    await db.put('a', 2) // data changes go to subscribe(), not here
    const s = await db.snapshot()
    await db.undo()
    await db.restore(s.id)
    await db.branch('draft')
    await db.setRetention({ keepLast: 3 })
    await db.dropBranch('draft')
    await db.dropSnapshot(s.id)
    await expect(db.dropSnapshot(s.id)).rejects.toThrow() // a rejected call dispatches nothing
    expect(seen).toEqual(['snapshot main', 'move main', 'restore main', 'branch draft', 'retention', 'dropBranch draft', 'dropSnapshot'])
    await db.close()
  })
})

describe('listings leave out cowdb’s own heads and snapshots (named cowdb-...)', () => {
  it('hides them from branches() and snapshots() unless { internal: true }, across a reopen; a bad option is a TypeError', async () => {
    const { db, storage } = await fresh({ retention: { keepLast: 3 } })
    await db.put('a', 1)
    const app = await db.snapshot({ label: 'app' })
    const ownOnMain = await db.snapshot({ label: 'cowdb-sync/r/push' })
    await db.branch('cowdb-sync/r/base')
    await db.branch('drafts')
    await db.put('b', 2, { branch: 'cowdb-sync/r/base' })
    const onInternal = await db.snapshot({ label: 'base', branch: 'cowdb-sync/r/base' })
    const check = async (d: Database) => {
      expect((await d.branches()).map((b) => b.name)).toEqual(['main', 'drafts'])
      expect((await d.branches({ internal: true })).map((b) => b.name)).toEqual(['main', 'cowdb-sync/r/base', 'drafts'])
      const listed = (await d.snapshots()).map((s) => s.id)
      expect(listed).toContain(app.id)
      expect(listed).not.toContain(ownOnMain.id)
      expect(listed).not.toContain(onInternal.id)
      // the internal branch's history entries are its own too
      expect((await d.snapshots()).every((s) => s.branch !== 'cowdb-sync/r/base')).toBe(true)
      const all = (await d.snapshots({ internal: true })).map((s) => s.id)
      expect(all).toEqual(expect.arrayContaining([app.id, ownOnMain.id, onInternal.id]))
      expect((await d.snapshots({ branch: 'main' })).map((s) => s.id)).not.toContain(ownOnMain.id)
      expect((await d.snapshots({ branch: 'cowdb-sync/r/base', internal: true })).map((s) => s.id)).toContain(onInternal.id)
      // hidden from listings only: reads, diffs and restores by id work as for any snapshot
      expect(await d.get('b', { snapshot: onInternal.id })).toBe(2)
      expect(await d.get('b', { branch: 'cowdb-sync/r/base' })).toBe(2)
    }
    await check(db)
    await expect(db.branches({ internal: 'yes' } as never)).rejects.toThrow(TypeError)
    await expect(db.snapshots(null as never)).rejects.toThrow(TypeError)
    await db.close()
    const again = await Database.open(storage.reopen(), quiet)
    await check(again)
    expect((await again.verify()).ok).toBe(true)
    await again.close()
  })
})
