// The publisher (page-publish.ts) over the durable feed (durable.ts): what it hands over at each
// durability point, and what it never hands over (state that is not durable, nodes that may
// still change, pages it handed over before).
import { describe, expect, it } from 'vitest'
import { Database } from './database.js'
import { DurableFeed } from './durable.js'
import { encodeKey } from './keys.js'
import { MemoryStorage } from './memory-store.js'
import { PagePublisher } from './page-publish.js'
import { checkPage } from './page.js'

async function setup(opts = {}) {
  const storage = new MemoryStorage()
  const db = await Database.open(storage, { pageSize: 1024, checkpointDelayMs: 0, ...opts })
  const feed = DurableFeed.of(storage.pages)!
  const pages = new Map<number, Uint8Array>()
  const publisher = new PagePublisher(feed, { has: (id) => pages.has(id), put: (id, encode) => {
      const page = new Uint8Array(feed.layout.pageSize)
      return encode(page) && (pages.set(id, page), true)
    } }, 64)
  const head = () => publisher.roots().heads.find(([n]) => n === 'main')![1]
  return { db, feed, pages, publisher, head }
}

describe('PagePublisher', () => {
  it('hands over each commit path once, only after the flush, as checked pages', async () => {
    const { db, feed, pages, publisher, head } = await setup()
    let heard = 0
    feed.listen(() => heard++)
    await db.batch(Array.from({ length: 40 }, (_, i) => ({ type: 'put' as const, key: i, value: `v${i}` })))
    expect(heard).toBe(1)
    const root = head()
    expect(pages.has(root)).toBe(true)
    for (const [id, page] of pages) expect(checkPage(page, 0, id).id).toBe(id) // magic, checksum, id
    const before = new Set(pages.keys())
    expect(publisher.roots().generation).toBe(1)
    expect(pages.size).toBe(before.size) // nothing new: nothing handed over again

    // a relaxed put is applied before it is durable: not published until its flush
    const pending = db.put(7, 'seven', { durability: 'relaxed' })
    const commit = await pending
    expect(publisher.roots().generation).toBeLessThan(commit.generation)
    expect(head()).toBe(root)
    await db.put(8, 'eight') // flushes both
    const after = publisher.roots()
    expect(after.generation).toBeGreaterThanOrEqual(commit.generation + 1)
    const fresh = [...pages.keys()].filter((id) => !before.has(id))
    expect(fresh.length).toBeGreaterThan(0)
    expect(fresh).toContain(head())
    await db.close()
  })

  it('hands over at most its budget per call, root first; a reader missing the rest gets them by warming', async () => {
    // a fixed checkpoint threshold: no checkpoint paced by the store's size (pacing.ts) writes the
    // batch's pages out first, so they are all new in memory at the flush
    const { db, pages, publisher, head } = await setup({ walCheckpointBytes: 1 << 30 })
    await db.batch(Array.from({ length: 3000 }, (_, i) => ({ type: 'put' as const, key: i, value: `value ${i}` })))
    const root = head()
    expect(pages.size).toBe(64)
    expect(pages.has(root)).toBe(true)
    const count = pages.size
    publisher.warmKeys(undefined, [encodeKey(2999)])
    expect(pages.size).toBeGreaterThan(count) // the path to 2999 was past the budget
    await db.close()
  })

  it('hands over the copies compaction made, though their checkpoint wrote them before any durability point', async () => {
    const { db, feed, publisher } = await setup()
    feed.listen(() => publisher.roots()) // as the browser's publisher does: the feed keeps the copies for listeners
    const keys = Array.from({ length: 3000 }, (_, i) => i)
    await db.batch(keys.map((i) => ({ type: 'put' as const, key: i, value: `value ${i}` })))
    await db.checkpoint()
    // every key rewritten, checkpointed: the pages in use sit above the free slots of the first ones
    await db.batch(keys.map((i) => ({ type: 'put' as const, key: i, value: `c ${i}` })))
    await db.checkpoint()
    publisher.warmKeys(undefined, keys.map((k) => encodeKey(k))) // every page a read walks is there now
    publisher.roots()
    const { pagesCopied } = await db.compact() // copies with new ids, written to disk by its checkpoint
    expect(pagesCopied).toBeGreaterThan(64)
    const before = publisher.published
    await db.put('after', 1) // the next durability point
    expect(publisher.published - before).toBeLessThanOrEqual(64) // the budget holds: the copies over it go with the next calls
    for (let i = 0; i < Math.ceil(pagesCopied / 64); i++) publisher.roots()
    const published = publisher.published
    publisher.warmKeys(undefined, keys.map((k) => encodeKey(k)))
    expect(publisher.published - published).toBe(0) // no read would have missed a page
    expect(await db.get(2999)).toBe('c 2999')
    await db.close()
  })

  it('lists durable snapshots, drops dropped ones, and counts nodes that only a chain can hold', async () => {
    const { db, pages, publisher } = await setup()
    await db.put('a', 1)
    const s = await db.snapshot({ label: 'x' })
    expect(publisher.roots().snapshots.map(([id]) => id)).toEqual([s.id])
    await db.dropSnapshot(s.id)
    expect(publisher.roots().snapshots).toEqual([])
    await db.put('big', 'b'.repeat(5000)) // inline in memory until a checkpoint chains it
    publisher.roots()
    expect(publisher.unshareable).toBe(1)
    const root = publisher.roots().heads[0]![1]
    expect(pages.has(root)).toBe(false)
    await db.checkpoint()
    publisher.warmKeys(undefined, [encodeKey('big')]) // on disk now: its leaf holds a chain pointer
    expect(publisher.roots().heads[0]![1]).toBe(root)
    expect(pages.has(root)).toBe(true)
    await db.close()
  })

  it("lists a tenant's head but not its snapshots (a read naming no head must not see them)", async () => {
    const { db, publisher } = await setup()
    await db.put('a', 1)
    await db.createTenant('acme')
    await db.put('t', 1, { branch: 'acme' })
    const mine = await db.snapshot({ label: 'm' })
    const theirs = await db.snapshot({ label: 't', branch: 'acme' })
    await expect(db.get('t', { snapshot: theirs.id })).rejects.toThrow(/no snapshot/) // the engine's rule the list follows
    const roots = publisher.roots()
    expect(roots.snapshots.map(([id]) => id)).toEqual([mine.id])
    expect(roots.heads.map(([name]) => name).sort()).toEqual(['acme', 'main'])
    await db.close()
  })
})

describe('page ids across engine instances', () => {
  it('are issued again after a reopen for pages that never reached the disk (so a cache of published pages must not outlive its engine)', async () => {
    const storage = new MemoryStorage()
    const first = await setupOn(storage)
    await first.db.batch(Array.from({ length: 300 }, (_, i) => ({ type: 'put' as const, key: i, value: `a${i}` })))
    await first.db.checkpoint()
    // two commits, two flushes: each copies its path (new ids), in memory and in the WAL, not on disk
    await first.db.put(7, 'in memory only')
    await first.db.put(8, 'and this one')
    const before = new Map(first.pages)
    // a crash: the next engine opens the same files as they are (the first one is never used again);
    // it replays both records in one epoch, from the saved id counter: the same ids, other contents
    const second = await setupOn(storage)
    const reissued = [...second.pages.keys()].filter((id) => before.has(id) && !sameBytes(before.get(id)!, second.pages.get(id)!))
    expect(reissued.length).toBeGreaterThan(0)
    await second.db.close()
  })
})

async function setupOn(storage: MemoryStorage) {
  const db = await Database.open(storage, { pageSize: 1024, checkpointDelayMs: 0 })
  const feed = DurableFeed.of(storage.pages)!
  const pages = new Map<number, Uint8Array>()
  const publisher = new PagePublisher(feed, {
    has: (id) => pages.has(id),
    put: (id, encode) => {
      const page = new Uint8Array(feed.layout.pageSize)
      return encode(page) && (pages.set(id, page), true)
    },
  })
  feed.listen(() => publisher.roots())
  publisher.roots()
  return { db, pages }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
