// Space comes back by itself: no test here calls gc() or compact(). Pages dropped by
// deleteRange, held by readers that closed, and reached only by dropped snapshots, branches and
// history that retention let go are freed in the background; once the store is quiet,
// compaction moves live pages down and the file shrinks; the WAL file is emptied at close.
import { describe, expect, it } from 'vitest'
import { Database } from './database.js'
import type { DatabaseOptions } from './options.js'
import { MemoryStorage } from './memory-store.js'

const key = (i: number) => `k${String(i).padStart(5, '0')}`
const opts: DatabaseOptions = { pageSize: 1024, checkpointDelayMs: 5, retention: { keepLast: 3 } }

type Space = Awaited<ReturnType<Database['space']>>

/**
 * Waits (polling, bounded by the test's timeout) until the background work is done: everything
 * checkpointed, nothing leaked, nothing waiting to be freed (and `also`, when given).
 */
async function settled(db: Database, also: (s: Space) => boolean = () => true) {
  const until = Date.now() + 20_000 // only a bound on waiting, never asserted on
  for (;;) {
    await new Promise((r) => setTimeout(r, 20))
    const s = await db.space()
    if (((await db.stats()).walBytes === 0 && s.leaked === 0 && s.pending === 0 && also(s)) || Date.now() > until) return s
  }
}

/** The file is down to its live pages (compaction's quiet target leaves a sixteenth, at least 32 slots). */
const compacted = (s: Space) => s.slots - s.reachable < Math.max(32, s.reachable / 16)

describe('space that comes back by itself', () => {
  it('after range deletes, readers, dropped snapshots and branches and retention: no leak, with no gc() call', async () => {
    const storage = new MemoryStorage()
    const db = await Database.open(storage, opts)
    await db.batch(Array.from({ length: 3000 }, (_, i) => ({ type: 'put' as const, key: key(i), value: 'x'.repeat(50) })))
    const snap = await db.snapshot({ label: 'before' })
    // a reader open across writes holds the pages they copy away
    const reading = db.iterate({ limit: 5000 })
    const it = reading[Symbol.asyncIterator]()
    await it.next()
    for (let i = 0; i < 3000; i += 7) await db.put(key(i), 'y'.repeat(50))
    const peak = (await settled(db)).slots
    await db.deleteRange({ gte: key(500), lt: key(2500) })
    let read = 1
    while (!(await it.next()).done) read++
    expect(read).toBe(3000) // the reader saw the state it began on
    await db.branch('draft')
    await db.onBranch('draft').deleteRange({ lt: key(1000) })
    await db.dropBranch('draft')
    await db.dropSnapshot(snap.id)
    for (let i = 0; i < 10; i++) await db.put(key(i), i) // retention moves past the older history
    const space = await settled(db, compacted)
    expect(space.reachableButFree).toBe(0)
    expect(space.reachable + space.free).toBe(space.slots)
    expect(space.reachable).toBeLessThan(peak / 2) // two thirds of the keys went
    // and the file itself shrank to about that: compaction, with no call either
    expect(compacted(space)).toBe(true)
    expect((await db.stats()).fileBytes).toBe(space.slots * 1024)
    expect(space.slots).toBeLessThan(peak / 2)
    await db.close()
    expect(storage.wal.size()).toBe(0)
    const again = await Database.open(storage.reopen(), opts)
    const after = await again.space()
    expect(after.leaked).toBe(0)
    expect(after.reachableButFree).toBe(0)
    expect(after.slots).toBe(space.slots)
    expect(await again.count()).toBe(1000)
    expect((await again.verify()).ok).toBe(true)
    await again.close()
  })

  it('frees what a range delete dropped, and what a closed reader held, each on its own', async () => {
    const db = await Database.open(new MemoryStorage(), { pageSize: 1024, checkpointDelayMs: 5 })
    await db.batch(Array.from({ length: 3000 }, (_, i) => ({ type: 'put' as const, key: key(i), value: 'x'.repeat(50) })))
    const loaded = (await settled(db)).slots
    await db.deleteRange({ gte: key(500), lt: key(2500) })
    const afterDelete = await settled(db)
    expect(afterDelete.leaked).toBe(0)
    expect(afterDelete.reachable).toBeLessThan(loaded / 2)
    const reader = db.openReader()
    for (let i = 0; i < 3000; i += 3) await db.put(key(i), 'y'.repeat(50)) // copies pages the reader holds
    const held = await settled(db)
    db.closeReader(reader.reader)
    const released = await settled(db)
    expect(released.leaked).toBe(0)
    expect(released.reachable).toBeLessThan(held.reachable)
    await db.close()
  })

  it('compacts in the background once quiet, moving nothing an open reader reaches, with history and deadlists', async () => {
    const storage = new MemoryStorage()
    const db = await Database.open(storage, opts) // keepLast: 3
    const value = (i: number, v: string) => (i % 50 === 0 ? v.repeat(400) : v.repeat(40)) // some overflow chains
    const puts = (from: number, to: number, v: string) => Array.from({ length: to - from }, (_, j) => ({ type: 'put' as const, key: key(from + j), value: value(from + j, v) }))
    for (let i = 0; i < 6000; i += 1000) await db.batch(puts(i, i + 1000, 'a'))
    const loaded = await settled(db)
    // keep the first and last thousand keys: the pages left are at both ends of the file, so
    // cutting a free tail gives nothing back; only moving pages down does
    await db.deleteRange({ gte: key(1000), lt: key(5000) })
    for (let i = 0; i < 3; i++) await db.put(key(i), `moved on ${i}`) // history (keepLast: 3) lets the deleted keys go
    const reading = db.iterate({ gte: key(5000) })
    const it = reading[Symbol.asyncIterator]()
    const first = await it.next()
    // quiet with a reader open: the gc frees the dropped subtrees, compaction waits for it
    const held = await settled(db)
    expect(held.reachable).toBeLessThan(loaded.reachable / 2)
    // writes reuse the freed slots; a page the reader still needs must not be among them
    await db.batch(puts(5000, 5500, 'b'))
    await db.put(key(0), 'history moves on')
    await settled(db)
    const seen: unknown[] = [first.value]
    for (let r = await it.next(); !r.done; r = await it.next()) seen.push(r.value)
    expect(seen).toEqual(puts(5000, 6000, 'a').map((p) => [p.key, p.value]))
    const expected = await db.scan({ limit: 1e6 })
    const history = await Promise.all((await db.snapshots()).map((s) => db.scan({ limit: 1e6, snapshot: s.id })))
    // reader gone: compaction moves the live pages down and the file shrinks
    const space = await settled(db, compacted)
    expect(compacted(space)).toBe(true)
    expect(space.slots).toBeLessThan(loaded.slots / 2)
    expect(space.reachableButFree).toBe(0)
    expect(await db.scan({ limit: 1e6 })).toEqual(expected)
    expect(await Promise.all((await db.snapshots()).map((s) => db.scan({ limit: 1e6, snapshot: s.id })))).toEqual(history)
    // history entries moved with everything else, and deadlists followed them: when retention
    // lets them go, their pages are freed once, and nothing still reachable is
    for (let i = 0; i < 5; i++) await db.put(key(5000 + i), `after ${i}`)
    const later = await settled(db)
    expect(later.reachableButFree).toBe(0)
    expect((await db.verify()).ok).toBe(true)
    await db.close()
    const again = await Database.open(storage.reopen(), opts)
    expect((await again.space()).reachableButFree).toBe(0)
    expect((await again.verify()).ok).toBe(true)
    expect(await again.count()).toBe(2000)
    await again.close()
  })

  it('paces checkpoints by the store’s size: under churn with history the files stay near the live pages', async () => {
    // no timers at all (checkpointDelayMs 0): only the pacing in the commit path and the deadlists
    const storage = new MemoryStorage()
    const db = await Database.open(storage, { pageSize: 1024, checkpointDelayMs: 0, retention: { keepLast: 5 } })
    await db.batch(Array.from({ length: 3000 }, (_, i) => ({ type: 'put' as const, key: key(i), value: 'x'.repeat(60) })))
    let seed = 7
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
    let peak = 0
    for (let c = 0; c < 400; c++) {
      await db.batch(Array.from({ length: 5 }, () => ({ type: 'put' as const, key: key(next() % 3000), value: `${c}`.repeat(30) })))
      peak = Math.max(peak, storage.pages.size() + storage.wal.size())
    }
    const space = await db.space()
    expect(space.leaked).toBe(0)
    expect((await db.stats()).checkpoints).toBeGreaterThan(20) // by the pacing alone
    // the live pages, what one checkpoint writes beside them, and a WAL of a quarter of them at most
    expect(peak).toBeLessThan(space.reachable * 1024 * 1.6)
    await db.close()
  })

  it('keeps the WAL file under its limit after a checkpoint and empties it at close', async () => {
    const storage = new MemoryStorage()
    const db = await Database.open(storage, { checkpointDelayMs: 0, walSizeLimit: 4096, walCheckpointBytes: 1e9 })
    await Promise.all(Array.from({ length: 2000 }, (_, i) => db.put(key(i), 'v'.repeat(100))))
    expect(storage.wal.size()).toBeGreaterThan(4096)
    await db.checkpoint()
    expect(storage.wal.size()).toBeLessThanOrEqual(4096)
    await db.close()
    expect(storage.wal.size()).toBe(0)
  })
  it('keeps at most a quarter of the live pages in the WAL file unless walSizeLimit is given, which it keeps as given', async () => {
    for (const walSizeLimit of [undefined, 1 << 30]) {
      const storage = new MemoryStorage()
      const db = await Database.open(storage, { pageSize: 1024, checkpointDelayMs: 0, walSizeLimit })
      await db.batch(Array.from({ length: 2000 }, (_, i) => ({ type: 'put' as const, key: key(i), value: 'v'.repeat(100) })))
      // overwrites of a few keys: WAL bytes grow, few pages change, so the WAL calls the checkpoints
      let peak = 0
      for (let b = 0; b < 300; b++) {
        await db.batch(Array.from({ length: 4 }, (_, i) => ({ type: 'put' as const, key: key(i * 500), value: `${b}`.repeat(300) })))
        peak = Math.max(peak, storage.wal.size())
      }
      await db.checkpoint()
      // a quarter of the slots in use when the WAL restarted: at most all the file's slots
      const quarter = ((await db.space()).slots * 1024) / 4
      expect(peak, `walSizeLimit ${walSizeLimit}: the WAL grew past a quarter of the pages file`).toBeGreaterThan(quarter)
      expect((await db.stats()).walFileBytes).toBe(storage.wal.size())
      if (walSizeLimit === undefined) expect(storage.wal.size()).toBeLessThanOrEqual(quarter)
      else expect(storage.wal.size()).toBeGreaterThan(quarter) // not cut below the limit given
      await db.close()
      expect(storage.wal.size()).toBe(0)
    }
  })
})

describe('relaxed durability', () => {
  it('resolves before the flush, flushes within relaxedFlushMs, and a crash before it loses only those writes', async () => {
    const storage = new MemoryStorage()
    const db = await Database.open(storage, { checkpointDelayMs: 0, durability: 'relaxed', relaxedFlushMs: 50 })
    await db.put('strict', 1, { durability: 'strict' })
    const walBefore = storage.wal.size()
    await db.put('relaxed', 2)
    expect(storage.wal.size()).toBe(walBefore) // resolved, not yet written
    expect(await db.get('relaxed')).toBe(2)
    // a crash now (the files as they are) loses the relaxed write, and nothing else
    const crashed = new MemoryStorage()
    crashed.pages.write(0, storage.pages.bytes().slice())
    crashed.wal.write(0, storage.wal.bytes().slice())
    crashed.meta.meta = structuredClone(storage.meta.meta)
    const c = await Database.open(crashed, { checkpointDelayMs: 0 })
    expect(await c.getMany(['strict', 'relaxed'])).toEqual([1, undefined])
    await c.close()
    while (storage.wal.size() === walBefore) await new Promise((r) => setTimeout(r, 10))
    await db.close()
    const again = await Database.open(storage.reopen(), { checkpointDelayMs: 0 })
    expect(await again.getMany(['strict', 'relaxed'])).toEqual([1, 2])
    await again.close()
  })

  it('rejects a bad durability with TypeError', async () => {
    const db = await Database.open(new MemoryStorage(), { checkpointDelayMs: 0 })
    await expect(db.put('a', 1, { durability: 'sometimes' as never })).rejects.toThrow(TypeError)
    await expect(Database.open(new MemoryStorage(), { durability: 'eventually' as never })).rejects.toThrow(TypeError)
    expect(await db.count()).toBe(0)
    await db.close()
  })
})
