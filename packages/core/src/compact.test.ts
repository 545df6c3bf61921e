// compact(): after a churn that leaves the pages file half free in the middle, compaction gives
// the space back, and every head, branch and snapshot reads exactly as before, before and after
// a reopen. (The model tests and crash schedules also run compact() among their operations.)
import { describe, expect, it } from 'vitest'
import { Database } from './database.js'
import { MemoryStorage } from './memory-store.js'

const OPEN = { pageSize: 512, checkpointDelayMs: 0, retention: { keepLast: 3 } }

describe('compact', () => {
  it('gives a churned file back and keeps every head, branch and snapshot', async () => {
    const storage = new MemoryStorage()
    const db = await Database.open(storage, OPEN)
    const value = (i: number) => (i % 97 === 0 ? `big ${i} `.repeat(200) : { i }) // some overflow chains
    const fill = (from: number) => db.batch(Array.from({ length: 3000 }, (_, i) => ({ type: 'put' as const, key: from + i, value: value(from + i) })))
    await fill(0)
    await db.checkpoint()
    await fill(10_000) // written after the first keys, higher in the file
    await db.checkpoint()
    const kept = await db.snapshot({ label: 'kept' })
    await db.deleteRange({ lt: 10_000 }) // the first keys' pages, low in the file, become garbage
    await db.branch('draft')
    await db.onBranch('draft').put('only on draft', true)
    for (let i = 0; i < 3; i++) await db.put('later', i) // history (keepLast: 3) moves past the delete
    await db.put('last', 1)
    await db.dropSnapshot(kept.id)
    const state = async (d: Database) => ({
      main: await d.scan({ limit: 1e6 }),
      draft: await d.scan({ limit: 1e6, branch: 'draft' }),
      snapshots: await Promise.all((await d.snapshots()).map(async (s) => [s.id, await d.scan({ limit: 1e6, snapshot: s.id })])),
    })
    const before = await state(db)
    const gcOnly = await db.gc()
    const grown = (await db.stats()).fileBytes
    expect(gcOnly.pagesFree).toBeGreaterThan(grown / 512 / 3) // a third or more of the file is free, but not at the end

    const r = await db.compact()
    expect(r.bytesBefore).toBe(grown)
    expect(r.bytesAfter).toBeLessThan(grown * 0.7)
    expect(r.pagesCopied).toBeGreaterThan(0)
    expect(await state(db)).toEqual(before)
    const space = await db.space()
    expect({ leaked: space.leaked, reachableButFree: space.reachableButFree }).toEqual({ leaked: 0, reachableButFree: 0 })
    expect((await db.verify()).ok).toBe(true)
    expect(await db.undo()).not.toBeNull() // history entries moved too
    expect(await db.get('last')).toBeUndefined()
    await db.redo()
    await db.close()

    const again = await Database.open(storage.reopen(), OPEN)
    expect(await state(again)).toEqual(before)
    expect((await again.stats()).fileBytes).toBe(r.bytesAfter)
    await again.close()
  })
})

describe('compaction and deadlists', () => {
  it('a moved page held in a deadlist is freed once: its entry follows it to its copy', async () => {
    const db = await Database.open(new MemoryStorage(), { pageSize: 512, checkpointDelayMs: 0, retention: { keepLast: 20 } })
    const batch = (from: number, n: number, v: string) => db.batch(Array.from({ length: n }, (_, i) => ({ type: 'put' as const, key: from + i, value: `${v}${from + i}`.padEnd(40, '.') })))
    await batch(0, 1000, 'a') // low in the file
    await db.checkpoint()
    await batch(1000, 1000, 'b') // high in the file
    await db.checkpoint()
    await db.deleteRange({ lt: 1000 })
    for (let i = 0; i < 21; i++) await db.put(-1, i) // history lets the deleted keys go
    await db.gc() // the low region is free now; the live pages sit high
    // pages copied away while history still reaches them: deadlist entries for high slots
    for (let i = 0; i < 10; i++) await batch(1000 + i * 97, 3, `c${i}`)
    await db.checkpoint()
    const held = (await db.stats()).pagesInDeadlists
    expect(held).toBeGreaterThan(0)
    const r = await db.compact()
    expect(r.pagesCopied).toBeGreaterThan(held) // the held pages moved too (history reaches them)
    const expected = await db.scan({ limit: 1e6 })
    // history moves on: every group is released; a slot freed twice would sit twice on the free list
    for (let i = 0; i < 25; i++) await db.put(-2, i)
    await db.checkpoint()
    const space = await db.space()
    expect((await db.stats()).pagesFree).toBe(space.free) // no slot twice on the free list
    expect(space.reachableButFree).toBe(0)
    expect(space.leaked).toBe(0) // and the copies were freed when their roots went, with no walk
    // and writing into every free slot damages nothing
    await batch(5000, 1500, 'd')
    await db.checkpoint()
    expect((await db.verify()).ok).toBe(true)
    expect((await db.scan({ lt: 5000, limit: 1e6 })).filter(([k]) => (k as number) >= 0)).toEqual(expected.filter(([k]) => (k as number) >= 0))
    await db.close()
  })
})
