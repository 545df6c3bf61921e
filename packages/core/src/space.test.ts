// Space comes back by itself: no test here calls gc(). Pages dropped by deleteRange, held by
// readers that closed, and reached only by dropped snapshots, branches and history that
// retention let go are freed in the background; the WAL file is emptied at close.
import { describe, expect, it } from 'vitest'
import { Database, type DatabaseOptions } from './database.js'
import { MemoryStorage } from './memory-store.js'

const key = (i: number) => `k${String(i).padStart(5, '0')}`
const opts: DatabaseOptions = { pageSize: 1024, checkpointDelayMs: 5, retention: { keepLast: 3 } }

/**
 * Waits (polling, bounded by the test's timeout) until the background work is done: everything
 * checkpointed, nothing leaked, nothing waiting to be freed.
 */
async function settled(db: Database) {
  const until = Date.now() + 20_000 // only a bound on waiting, never asserted on
  for (;;) {
    await new Promise((r) => setTimeout(r, 20))
    const s = await db.space()
    if (((await db.stats()).walBytes === 0 && s.leaked === 0 && s.pending === 0) || Date.now() > until) return s
  }
}

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
    const space = await settled(db)
    expect(space.reachableButFree).toBe(0)
    expect(space.reachable + space.free).toBe(space.slots)
    expect(space.reachable).toBeLessThan(peak / 2) // two thirds of the keys went
    await db.close()
    expect(storage.wal.size()).toBe(0)
    const again = await Database.open(storage.reopen(), opts)
    const after = await again.space()
    expect(after.leaked).toBe(0)
    expect(after.reachableButFree).toBe(0)
    expect(await again.count()).toBe(1000)
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

  it('keeps the WAL file under its limit after a checkpoint and empties it at close', async () => {
    const storage = new MemoryStorage()
    const db = await Database.open(storage, { checkpointDelayMs: 0, walSizeLimit: 4096 })
    await Promise.all(Array.from({ length: 2000 }, (_, i) => db.put(key(i), 'v'.repeat(100))))
    expect(storage.wal.size()).toBeGreaterThan(4096)
    await db.checkpoint()
    expect(storage.wal.size()).toBeLessThanOrEqual(4096)
    await db.close()
    expect(storage.wal.size()).toBe(0)
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
