// Deadlists: the unit, and the engine cases where a page copied away is in a live tree again or
// shared with another head. A page freed while any root reaches it shows as reachableButFree
// in space(), and then as a wrong read once its slot is reused.
import { describe, expect, it } from 'vitest'
import { Database } from './database.js'
import type { DatabaseOptions } from './options.js'
import { DeadLists } from './deadlist.js'
import { MemoryStorage } from './memory-store.js'

describe('DeadLists', () => {
  it('frees a page when the last root in [born, died) goes, and passes it down while an older one holds it', () => {
    const d = new DeadLists()
    d.retain('main', 3)
    d.retain('main', 5)
    d.retain('main', 5)
    expect(d.died('main', { slot: 10, born: 4, died: 9 })).toBe('held') // held by 5
    expect(d.died('main', { slot: 11, born: 1, died: 9 })).toBe('held') // held by 5, then 3
    expect(d.died('main', { slot: 12, born: 6, died: 9 })).toBe('free') // no root in [6, 9)
    expect(d.release('main', 5)).toEqual([]) // one of two roots at 5 left
    expect(d.release('main', 5).sort()).toEqual([10]) // 11 moves down to 3
    expect(d.size).toBe(1)
    expect(d.release('main', 3)).toEqual([11])
  })

  it('tracks nothing born before the head shared its pages, and forgets a head that moved back', () => {
    const d = new DeadLists()
    d.retain('main', 5)
    d.share('main', 4)
    expect(d.died('main', { slot: 1, born: 4, died: 9 })).toBe('untracked')
    expect(d.died('main', { slot: 2, born: 5, died: 9 })).toBe('held')
    d.forget('main')
    expect(d.release('main', 5)).toEqual([])
  })

  it('after compaction, an entry follows its page to the copy; slots freed without a copy leave', () => {
    const d = new DeadLists()
    d.retain('main', 5)
    d.died('main', { slot: 7, born: 1, died: 9 })
    d.died('main', { slot: 8, born: 1, died: 9 })
    d.died('main', { slot: 9, born: 1, died: 9 })
    d.relocate(new Map([[7, 3]]), new Set([7, 8]))
    expect(d.release('main', 5).sort()).toEqual([3, 9])
  })

  it('never frees a slot a gc already freed', () => {
    const d = new DeadLists()
    d.retain('main', 5)
    d.died('main', { slot: 7, born: 1, died: 9 })
    d.without(new Set([7]))
    expect(d.release('main', 5)).toEqual([])
  })
})

const opts: DatabaseOptions = { pageSize: 512, checkpointDelayMs: 0, retention: { keepLast: 10 } }
const key = (i: number) => `k${String(i).padStart(3, '0')}`

async function store() {
  const db = await Database.open(new MemoryStorage(), opts)
  await db.batch(Array.from({ length: 200 }, (_, i) => ({ type: 'put' as const, key: key(i), value: 'x'.repeat(30) })))
  await db.put(key(0), 'a')
  await db.checkpoint()
  await db.put(key(0), 'b') // copies k000's leaf away: held by the history entry of 'a'
  await db.checkpoint()
  expect((await db.stats()).pagesInDeadlists).toBeGreaterThan(0)
  return db
}

/** Writes enough elsewhere that freed slots are reused, then checks no reachable slot was freed. */
async function churnAndCheck(db: Database, expected: unknown) {
  for (let i = 100; i < 200; i++) await db.put(key(i), `churn ${i}`)
  await db.checkpoint()
  expect((await db.space()).reachableButFree).toBe(0)
  expect(await db.get(key(0))).toBe(expected)
  expect((await db.verify()).ok).toBe(true)
}

describe('deadlists in the engine', () => {
  it('undo brings a copied-away page back into the head: retention dropping its holder must not free it', async () => {
    const db = await store()
    await db.undo() // head is the 'a' state again, with the old leaf
    await db.put(key(199), 'elsewhere') // a commit that leaves k000's leaf alone
    await db.setRetention({ keepLast: 1 }) // drops the entry that held the old leaf
    await churnAndCheck(db, 'a')
    await db.close()
  })

  it('restore brings the pages of a snapshot back: dropping the snapshot must not free them', async () => {
    const db = await store()
    const snap = await db.snapshot()
    await db.put(key(0), 'c')
    await db.restore(snap.id)
    await db.dropSnapshot(snap.id)
    await db.setRetention({ keepLast: 1 })
    await churnAndCheck(db, 'b')
    await db.close()
  })

  it('a branch shares the pages of its origin: dropping the history of main must not free what the branch reaches', async () => {
    const db = await store()
    await db.branch('draft')
    await db.put(key(0), 'main moved on')
    await db.setRetention({ keepLast: 1 })
    await churnAndCheck(db, 'main moved on')
    expect(await db.get(key(0), { branch: 'draft' })).toBe('b')
    await db.close()
  })

  it('a branch made from a snapshot reaches the pages in that snapshot\'s group: dropping the snapshot must not free them', async () => {
    const db = await store()
    const entries = (await db.snapshots()).filter((s) => s.kind === 'history')
    await db.branch('old', { from: entries.at(-2)!.id }) // the 'a' state: reaches k000's old leaf, in that entry's group
    await db.setRetention({ keepLast: 1 }) // drops the entry that held it
    await churnAndCheck(db, 'b')
    expect(await db.get(key(0), { branch: 'old' })).toBe('a')
    await db.close()
  })

  it('a reader holds the pages of the state it reads until it ends', async () => {
    const db = await store()
    const reader = db.openReader()
    await db.put(key(0), 'd')
    await db.setRetention({ keepLast: 1 })
    await churnAndCheck(db, 'd')
    db.closeReader(reader.reader)
    await db.checkpoint()
    expect((await db.space()).leaked).toBe(0)
    await db.close()
  })
})

describe('the cheap free path and branches', () => {
  it('a page a branch still reaches is not freed when main copies it away (history off, no snapshot)', async () => {
    const storage = new MemoryStorage()
    const db = await Database.open(storage, { pageSize: 512, checkpointDelayMs: 0 })
    await db.batch(Array.from({ length: 200 }, (_, i) => ({ type: 'put' as const, key: key(i), value: `v${i}` })))
    await db.checkpoint()
    await db.branch('d')
    await db.checkpoint()
    for (let i = 0; i < 200; i++) await db.put(key(i), `main ${i}`)
    await db.checkpoint()
    for (let i = 200; i < 400; i++) await db.put(key(i), 'more')
    await db.checkpoint()
    expect((await db.space()).reachableButFree).toBe(0)
    expect((await db.scan({ branch: 'd', limit: 1000 })).map(([, v]) => v)).toEqual(Array.from({ length: 200 }, (_, i) => `v${i}`))
    expect((await db.verify()).ok).toBe(true)
    await db.close()
  })

  it('a snapshot of a dropped branch keeps the pages it shares with main, across a reopen', async () => {
    const storage = new MemoryStorage()
    const db = await Database.open(storage, { pageSize: 512, checkpointDelayMs: 0 })
    await db.batch(Array.from({ length: 200 }, (_, i) => ({ type: 'put' as const, key: key(i), value: `v${i}` })))
    await db.branch('d')
    const snap = await db.snapshot({ branch: 'd' })
    await db.dropBranch('d')
    await db.close()
    const again = await Database.open(storage.reopen(), { pageSize: 512, checkpointDelayMs: 0 })
    for (let i = 0; i < 200; i++) await again.put(key(i), `main ${i}`)
    await again.checkpoint()
    for (let i = 200; i < 400; i++) await again.put(key(i), 'more')
    await again.checkpoint()
    expect((await again.space()).reachableButFree).toBe(0)
    expect((await again.scan({ snapshot: snap.id, limit: 1000 })).map(([, v]) => v)).toEqual(Array.from({ length: 200 }, (_, i) => `v${i}`))
    await again.close()
  })
})
