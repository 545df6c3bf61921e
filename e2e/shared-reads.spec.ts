// Reads that never leave the tab: on a cross-origin isolated page the worker that owns the files
// shares its page cache, and get/getMany/scan/count are answered on the main thread from it, with
// no message. demo/test/shared-reads.ts has the race property and the seqlock stress test.
import type { Page } from '@playwright/test'
import { expect, openTestPage, test } from './fixtures'

const SEED = Number(process.env.COWDB_SEED ?? 20261126)

async function openReadsPage(page: Page) {
  await page.goto('/test/shared-reads.html')
  await expect(page.locator('body')).toHaveText('ready')
}

test('a reader racing a writer that overwrites every entry of the cache never returns another page\'s bytes (seqlock, real threads)', async ({ page }) => {
  await openReadsPage(page)
  const r = await page.evaluate(() => (window as any).seqlockStress(2000))
  expect(r.wrong).toBe(0)
  expect(r.ok).toBeGreaterThan(1000) // it did read pages...
  expect(r.missed).toBeGreaterThan(1000) // ...and met entries being rewritten or gone
  expect(r.written).toBeGreaterThan(1000)
})

test('reads racing writes, checkpoints, gc, compaction and eviction return a state committed at or after their start; read-your-writes', async ({ page }) => {
  test.setTimeout(300_000)
  await openReadsPage(page)
  const r = await page.evaluate(([seed]) => (window as any).raceProperty(seed, 12), [SEED])
  expect(r.failure ?? '').toBe('')
  expect(r.ok).toBe(true)
  expect(r.reads).toBeGreaterThanOrEqual(12 * 300) // every run reads at least 300 times (READS_PER_RUN)
  expect(r.hits).toBeGreaterThan(r.reads / 5) // many reads never left the tab...
  expect(r.misses).toBeGreaterThan(0) // ...and the others went to the worker
})

test('reads from shared memory send no message; values, scans and counts are right at head, branch and snapshot', async ({ page }) => {
  await openTestPage(page)
  const r = await page.evaluate(async () => {
    const w = window as any
    let sent = 0
    const post = Worker.prototype.postMessage
    Worker.prototype.postMessage = function (this: Worker, ...a: [unknown, Transferable[]]) {
      sent++
      return post.apply(this, a)
    }
    const db = await w.cowdb.openDB('no-message', { pageSize: 1024 })
    await db.batch(Array.from({ length: 3000 }, (_, i) => ({ type: 'put', key: i, value: { i, text: `value ${i}` } })))
    await db.checkpoint()
    const snap = await db.snapshot()
    await db.branch('b')
    await db.put(5, 'changed')
    await db.put(6, 'on b', { branch: 'b' })
    const read = async () => ({
      gets: await Promise.all([5, 6, 2999, 3000].map((k) => db.get(k))),
      atSnap: await db.get(5, { snapshot: snap.id }),
      onBranch: await db.getMany([5, 6], { branch: 'b' }),
      scan: await db.scan({ gte: 10, lt: 14 }),
      back: await db.scan({ lt: 3, reverse: true, limit: 2 }),
      count: await db.count({ gte: 100, lt: 2100 }),
      all: await db.count(),
      snapCount: await db.count({}, { snapshot: snap.id }),
    })
    await read() // the first reads miss pages still on disk: the worker publishes them
    await new Promise((r) => setTimeout(r, 50))
    const before = sent
    const hits = db.sharedReads().hits
    const again = await read()
    const out = { again, sent: sent - before, hits: db.sharedReads().hits - hits, shared: db.sharedReads().shared }
    Worker.prototype.postMessage = post
    await db.close()
    return out
  })
  expect(r.shared).toBe(true)
  expect(r.sent).toBe(0)
  expect(r.hits).toBe(11)
  expect(r.again).toEqual({
    gets: ['changed', { i: 6, text: 'value 6' }, { i: 2999, text: 'value 2999' }, undefined],
    atSnap: { i: 5, text: 'value 5' },
    onBranch: [{ i: 5, text: 'value 5' }, 'on b'],
    scan: [10, 11, 12, 13].map((i) => [i, { i, text: `value ${i}` }]),
    back: [2, 1].map((i) => [i, { i, text: `value ${i}` }]),
    count: 2000,
    all: 3000,
    snapCount: 3000,
  })
})

test('read-your-writes: a write that resolved is seen by the next read (strict and relaxed); an unanswered write of the same key is not overtaken', async ({ page }) => {
  await openTestPage(page)
  const r = await page.evaluate(async () => {
    const w = window as any
    const db = await w.cowdb.openDB('ryw', { pageSize: 1024, checkpointDelayMs: 0 })
    await db.batch(Array.from({ length: 500 }, (_, i) => ({ type: 'put', key: i, value: -1 })))
    const wrong: string[] = []
    for (let i = 0; i < 400; i++) {
      const k = (i * 37) % 500
      const mode = i % 5
      let got: unknown
      if (mode === 0) {
        await db.put(k, i)
        got = await db.get(k)
      } else if (mode === 1) {
        await db.put(k, i, { durability: 'relaxed' }) // resolved before its flush publishes it
        got = await db.get(k)
      } else if (mode === 2) {
        void db.put(k, i) // not awaited: the read goes after it
        got = await db.get(k)
      } else if (mode === 3) {
        await db.batch([{ type: 'put', key: k, value: i }, { type: 'delete', key: (k + 1) % 500 }])
        got = (await db.getMany([k, (k + 1) % 500]))[0]
        if ((await db.get((k + 1) % 500)) !== undefined) wrong.push(`deleted ${(k + 1) % 500} still there`)
        await db.put((k + 1) % 500, -1)
      } else {
        await db.deleteRange({ gte: k, lt: k + 3 })
        if ((await db.count({ gte: k, lt: k + 3 })) !== 0) wrong.push(`range at ${k} not empty`)
        await db.batch([0, 1, 2].map((d) => ({ type: 'put', key: k + d, value: i })))
        got = (await db.scan({ gte: k, limit: 1 }))[0]?.[1]
      }
      if (got !== i) wrong.push(`write ${i} of ${k} read back as ${JSON.stringify(got)}`)
    }
    const stats = db.sharedReads()
    await db.close()
    return { wrong, stats }
  })
  expect(r.wrong).toEqual([])
  expect(r.stats.shared).toBe(true)
  expect(r.stats.hits).toBeGreaterThan(200)
})

test('not cross-origin isolated: no shared memory, every read goes to the worker, all of it works; sharedCacheBytes: 0 turns it off', async ({ page }) => {
  // serve the test page without COOP/COEP: the page is then not cross-origin isolated
  await page.route('**/*', async (route) => {
    const response = await route.fetch()
    const headers = { ...response.headers() }
    delete headers['cross-origin-opener-policy']
    delete headers['cross-origin-embedder-policy']
    await route.fulfill({ response, headers })
  })
  await openTestPage(page)
  const r = await page.evaluate(async () => {
    const w = window as any
    const db = await w.cowdb.openDB('plain', { pageSize: 1024 })
    await db.batch(Array.from({ length: 1000 }, (_, i) => ({ type: 'put', key: i, value: i * 2 })))
    const out = { isolated: crossOriginIsolated, get: await db.get(10), count: await db.count(), scan: await db.scan({ gte: 998 }), stats: db.sharedReads() }
    await db.close()
    return out
  })
  expect(r).toEqual({ isolated: false, get: 20, count: 1000, scan: [[998, 1996], [999, 1998]], stats: { shared: false, hits: 0, misses: 0 } })
  await page.unrouteAll()

  await openTestPage(page)
  const off = await page.evaluate(async () => {
    const w = window as any
    const db = await w.cowdb.openDB('off', { sharedCacheBytes: 0 })
    await db.put('k', 1)
    const out = { isolated: crossOriginIsolated, get: await db.get('k'), stats: db.sharedReads() }
    await db.close()
    let error = ''
    await w.cowdb.openDB('off', { sharedCacheBytes: -1 }).catch((e: Error) => (error = `${e.name}: ${e.message}`))
    return { ...out, error }
  })
  expect(off).toEqual({ isolated: true, get: 1, stats: { shared: false, hits: 0, misses: 0 }, error: 'TypeError: cowdb: sharedCacheBytes must be a number >= 0, got -1' })
})

test('a tab that takes over the files reads from shared memory from then on, in the same cache', async ({ page, context }) => {
  const open = async (p: Page) => {
    await openTestPage(p)
    await p.evaluate(async () => {
      const w = window as any
      w.db = await w.cowdb.openDB('takeover-reads', { pageSize: 1024 })
    })
  }
  await open(page)
  const second = await context.newPage()
  await open(second)
  await page.evaluate(() => (window as any).db.batch(Array.from({ length: 500 }, (_, i) => ({ type: 'put', key: i, value: `v${i}` }))))
  const follower = await second.evaluate(async () => {
    const db = (window as any).db
    for (let i = 0; i < 100 && !db.sharedReads().shared; i++) await new Promise((r) => setTimeout(r, 20))
    const get = await db.get(7)
    const { shared, hits, misses } = db.sharedReads()
    return { role: await db.role(), get, shared, reads: hits + misses }
  })
  // a follower reads from its copy of the owner's pages (e2e/shared-reads-tabs.spec.ts): one read, answered there or not
  expect(follower).toEqual({ role: 'follower', get: 'v7', shared: true, reads: 1 })
  await page.close()
  const leader = await second.evaluate(async () => {
    const db = (window as any).db
    await db.put('after', 1) // waits for the takeover
    for (let i = 0; i < 100 && !db.sharedReads().shared; i++) await new Promise((r) => setTimeout(r, 20))
    await db.getMany([7, 499, 'after']) // the first reads publish the pages they walk
    const hits = db.sharedReads().hits
    const values = await db.getMany([7, 499, 'after'])
    return { role: await db.role(), values, hits: db.sharedReads().hits - hits, shared: db.sharedReads().shared }
  })
  expect(leader).toEqual({ role: 'leader', values: ['v7', 'v499', 1], hits: 1, shared: true })
})

test("tenants: a tenant's head is read from shared memory, its snapshots only through it (as the engine rules); the IndexedDB page store reads through the worker", async ({ page }) => {
  await openTestPage(page)
  const r = await page.evaluate(async () => {
    const w = window as any
    const db = await w.cowdb.openDB('tenant-reads', { pageSize: 1024 })
    await db.put('k', 'main')
    await db.createTenant('acme')
    await db.put('k', 'acme', { branch: 'acme' })
    const snap = await db.snapshot({ branch: 'acme' })
    await db.put('k', 'acme later', { branch: 'acme' })
    await db.get('k', { branch: 'acme' }) // publishes the pages it walks
    const hits = db.sharedReads().hits
    const head = await db.get('k', { branch: 'acme' })
    const headHit = db.sharedReads().hits - hits
    const unscoped = await db.get('k', { snapshot: snap.id }).then((v: unknown) => `value ${String(v)}`, (e: Error) => e.name)
    const scoped = await db.get('k', { snapshot: snap.id, branch: 'acme' })
    const fromMain = await db.get('k')
    await db.close()
    const idb = await w.cowdb.openDB('tenant-reads-idb', { store: 'indexeddb' })
    await idb.put('x', 1)
    const viaIdb = { get: await idb.get('x'), count: await idb.count(), stats: idb.sharedReads() }
    await idb.close()
    return { head, headHit, unscoped, scoped, fromMain, viaIdb }
  })
  expect(r).toEqual({
    head: 'acme later',
    headHit: 1,
    unscoped: 'SnapshotNotFoundError',
    scoped: 'acme',
    fromMain: 'main',
    viaIdb: { get: 1, count: 1, stats: { shared: false, hits: 0, misses: 0 } },
  })
})
