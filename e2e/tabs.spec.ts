// One database, several tabs: the first opener owns the files, the others forward their calls to
// it, and one of them takes over when it goes (closed, or the tab closed), with nothing lost.
import type { Page } from '@playwright/test'
import { expect, openTestPage, test } from './fixtures'

async function open(page: Page, name: string) {
  await openTestPage(page)
  await page.evaluate(async (name) => {
    const w = window as any
    w.events = []
    w.shared = await w.cowdb.openDB(name, { retention: { keepLast: 20 } })
    await w.shared.subscribe({}, (e: any) => w.events.push(...e.changes.map((c: any) => c.key)))
  }, name)
}

test('a second tab shares the database: both read and write, events reach both; when the first tab closes the second takes over', async ({ page, context }) => {
  await open(page, 'tabs1')
  const second = await context.newPage()
  await open(second, 'tabs1')
  expect(await page.evaluate(() => (window as any).shared.role())).toBe('leader')
  expect(await second.evaluate(() => (window as any).shared.role())).toBe('follower')

  await page.evaluate(() => (window as any).shared.put('from-first', 1))
  const seen = await second.evaluate(async () => {
    const db = (window as any).shared
    await db.batch(Array.from({ length: 2000 }, (_, i) => ({ type: 'put', key: `k${i}`, value: i })))
    await db.put('from-second', 2)
    let done: any
    const progress: number[] = []
    await db.exportBackup({ onProgress: (p: any) => progress.push(p.done) }).then((b: Uint8Array) => (done = b.length))
    return { first: await db.get('from-first'), count: await db.count(), backup: done > 0, progress: progress.at(-1) }
  })
  expect(seen).toEqual({ first: 1, count: 2002, backup: true, progress: 2002 })
  expect(await page.evaluate(() => (window as any).shared.get('from-second'))).toBe(2)
  await page.waitForTimeout(100)
  // each tab's subscription saw the other's writes
  expect(await page.evaluate(() => (window as any).events.includes('from-second'))).toBe(true)
  expect(await second.evaluate(() => (window as any).events.includes('from-first'))).toBe(true)

  // the first tab goes away without closing (its worker ends with the page)
  await page.close()
  const after = await second.evaluate(async () => {
    const db = (window as any).shared
    const w = window as any
    w.events.length = 0
    await db.put('after-takeover', 3) // waits for the takeover, then commits here
    await new Promise((r) => setTimeout(r, 50))
    const out = {
      role: await db.role(),
      values: await db.getMany(['from-first', 'from-second', 'after-takeover', 'k1999']),
      events: [...w.events],
      undo: (await db.undo()) !== null,
      undone: await db.get('after-takeover'),
      ok: (await db.verify()).ok,
    }
    await db.close()
    return out
  })
  expect(after).toEqual({ role: 'leader', values: [1, 2, 3, 1999], events: ['after-takeover'], undo: true, undone: undefined, ok: true })
})

test('a leader that closes hands over cleanly: calls in flight in the other tab are answered, none lost or doubled', async ({ page, context }) => {
  await open(page, 'tabs2')
  const second = await context.newPage()
  await open(second, 'tabs2')
  // the second tab writes a stream of increments (read, then write) while the first closes
  const run = second.evaluate(async () => {
    const db = (window as any).shared
    const results: string[] = []
    for (let i = 0; i < 300; i++) {
      await db.put(`n${i}`, i).then(() => results.push('ok'), (e: Error) => results.push(e.name))
    }
    return { results, count: await db.count(), role: await db.role() }
  })
  await page.waitForTimeout(30)
  await page.evaluate(() => (window as any).shared.close())
  const r = await run
  // a graceful close answers or hands over every call: none fails
  expect(r.results.filter((x) => x !== 'ok')).toEqual([])
  expect(r.count).toBe(300)
  expect(r.role).toBe('leader')
})

test('catalog changes (snapshots, branches, undo) reach the catalog event of every tab, whichever tab made them', async ({ page, context }) => {
  await open(page, 'tabs-catalog')
  const second = await context.newPage()
  await open(second, 'tabs-catalog')
  const listen = () => {
    const w = window as any
    w.catalog = []
    w.shared.addEventListener('catalog', (e: any) => w.catalog.push(`${e.change}${e.branch ? ` ${e.branch}` : ''}`))
  }
  await page.evaluate(listen)
  await second.evaluate(listen)
  await second.evaluate(async () => {
    const db = (window as any).shared
    await db.put('a', 1)
    await db.snapshot({ label: 'from the follower' })
    await db.branch('draft')
  })
  await page.evaluate(async () => (window as any).shared.undo())
  const want = ['snapshot main', 'branch draft', 'move main']
  // events travel after the calls' answers: wait for them (bounded), never on time
  for (const p of [page, second]) await expect.poll(() => p.evaluate(() => (window as any).catalog), { timeout: 10_000 }).toEqual(want)
})
