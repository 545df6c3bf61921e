// A change of owner while another tab pipelines writes it does not await: every call resolves
// (or, only when the owner's tab died while running it, says it may or may not have taken effect),
// and every write that took effect took effect exactly once. "Exactly once" is checked on the
// commit generation, which every commit moves by one: a write run twice would move it twice.
import type { Page } from '@playwright/test'
import { expect, openTestPage, test } from './fixtures'

async function open(page: Page, name: string, store?: 'indexeddb'): Promise<void> {
  await openTestPage(page)
  await page.evaluate(async ([name, store]) => {
    const w = window as any
    w.db = await w.cowdb.openDB(name, store ? { store } : {})
  }, [name, store] as const)
}

/** Starts `n` un-awaited puts of `${prefix}${i}` in bursts of 8 per tick; `window.pipeline` settles with each outcome. */
async function startPipeline(page: Page, n: number, prefix = 'p', pause = 2): Promise<void> {
  await page.evaluate(([n, prefix, pause]) => {
    const w = window as any
    w.started = 0
    w.pipeline = (async () => {
      const before = (await w.db.stats()).generation
      const outcomes: Promise<string>[] = []
      for (let i = 0; i < n; i++) {
        outcomes.push(w.db.put(`${prefix}${i}`, { i }).then(() => 'ok', (e: Error) => `${e.name}: ${e.message}`))
        w.started = i + 1
        if (i % 8 === 7) await new Promise((r) => setTimeout(r, pause))
      }
      return { before, outcomes: await Promise.all(outcomes) }
    })()
  }, [n, prefix, pause] as const)
}

/** Reads back what the pipeline wrote, on the tab that now owns the database. */
async function check(page: Page, n: number) {
  return page.evaluate(async (n) => {
    const w = window as any
    const { before, outcomes } = await w.pipeline
    const values = await w.db.getMany(Array.from({ length: n }, (_, i) => `p${i}`))
    const after = (await w.db.stats()).generation
    const role = await w.db.role()
    const verify = (await w.db.verify()).ok
    await w.db.close()
    return { before, after, outcomes: outcomes as string[], present: values.map((v: any, i: number) => v?.i === i), absent: values.map((v: unknown) => v === undefined), role, verify }
  }, n)
}

test('graceful handover: the owner closes while the other tab pipelines 800 writes; every call resolves, each write once', async ({ page, context }) => {
  const N = 800
  await open(page, 'handover1')
  const second = await context.newPage()
  await open(second, 'handover1')
  expect(await second.evaluate(() => (window as any).db.role())).toBe('follower')
  await startPipeline(second, N)
  await second.waitForFunction(() => (window as any).started > 150)
  await page.evaluate(() => (window as any).db.close())
  const r = await check(second, N)
  expect(r.outcomes.filter((o) => o !== 'ok')).toEqual([])
  expect(r.present.every(Boolean)).toBe(true)
  expect(r.after - r.before).toBe(N) // one commit per write: none ran twice
  expect(r.role).toBe('leader')
  expect(r.verify).toBe(true)
})

// on OPFS the owner's call record is in OPFS files; on the IndexedDB page store (browsers without
// sync access handles) it is in that store, ordered with the WAL in its write-behind queue
for (const store of [undefined, 'indexeddb'] as const) {
test(`abrupt handover${store ? ' on the IndexedDB page store' : ''}: the owner tab closes while the other tab pipelines 800 writes; no call hangs, each write at most once, only ambiguous ones say so`, async ({ page, context }) => {
  const N = 800
  await open(page, `handover2${store ?? ''}`, store)
  const second = await context.newPage()
  await open(second, `handover2${store ?? ''}`, store)
  expect(await second.evaluate(async () => (await (window as any).db.stats()).storage.store)).toBe(store ?? 'opfs')
  await startPipeline(second, N)
  await second.waitForFunction(() => (window as any).started > 150)
  await page.close() // the owner's worker dies with its tab
  const r = await check(second, N)
  const ambiguous = r.outcomes.flatMap((o, i) => (o === 'ok' ? [] : [i]))
  // the only failure allowed: a write the dead owner was running, reported as such
  for (const i of ambiguous) expect(r.outcomes[i]).toMatch(/^ClosedError: .*may or may not have taken effect/)
  // every resolved write is there; an ambiguous one is there whole or not at all
  r.outcomes.forEach((o, i) => (o === 'ok' ? expect(r.present[i], `p${i}`).toBe(true) : expect(r.present[i] || r.absent[i], `p${i}`).toBe(true)))
  const tookEffect = r.present.filter(Boolean).length
  expect(r.after - r.before).toBe(tookEffect) // one commit per write that took effect: none ran twice
  expect(ambiguous.length).toBeLessThan(N / 4)
  console.log(`abrupt handover${store ? ` (${store})` : ''}: ${ambiguous.length} of ${N} writes ambiguous (${ambiguous.filter((i) => r.present[i]).length} of them took effect)`)
  expect(r.role).toBe('leader')
  expect(r.verify).toBe(true)
})
}

test('three tabs: the owner closes, then the next owner closes; pipelines in both other tabs survive both handovers', async ({ page, context }) => {
  const N = 400
  await open(page, 'handover3')
  const b = await context.newPage()
  await open(b, 'handover3')
  const c = await context.newPage()
  await open(c, 'handover3')
  // b and c both write, c slower, so c is still writing when b (if b owns it by then) closes
  await startPipeline(b, N, 'p', 2)
  await startPipeline(c, N, 'q', 6)
  await b.waitForFunction(() => (window as any).started > 100)
  await page.evaluate(() => (window as any).db.close())
  // whichever of b and c owns it now closes once its own calls are all made (close lets them finish)
  const owner = (await b.evaluate(() => (window as any).db.role())) === 'leader' ? b : c
  const other = owner === b ? c : b
  await owner.waitForFunction((n) => (window as any).started === n, N)
  await owner.evaluate(() => (window as any).db.close())
  const outcomes = [...(await owner.evaluate(async () => (await (window as any).pipeline).outcomes)), ...(await other.evaluate(async () => (await (window as any).pipeline).outcomes))]
  expect(outcomes.filter((o: string) => o !== 'ok')).toEqual([])
  const got = await other.evaluate(async (n) => {
    const w = window as any
    const ps = await w.db.getMany(Array.from({ length: n }, (_, i) => `p${i}`))
    const qs = await w.db.getMany(Array.from({ length: n }, (_, i) => `q${i}`))
    const out = { p: ps.every((v: any, i: number) => v?.i === i), q: qs.every((v: any, i: number) => v?.i === i), role: await w.db.role() }
    await w.db.close()
    return out
  }, N)
  expect(got).toEqual({ p: true, q: true, role: 'leader' })
})

test('a transaction in the other tab that reads across a change of owner runs again and commits once', async ({ page, context }) => {
  await open(page, 'handover4')
  await page.evaluate(() => (window as any).db.put('n', 1))
  const second = await context.newPage()
  await open(second, 'handover4')
  await second.evaluate(() => {
    const w = window as any
    w.attempts = 0
    let go: () => void
    w.gate = new Promise<void>((r) => (go = r))
    w.go = () => go()
    w.tx = w.db.transaction(async (tx: any) => {
      w.attempts++
      const n = await tx.get('n')
      if (w.attempts === 1) await w.gate // the owner changes here
      const again = await tx.get('n') // pinned to a state the new owner never had: runs again
      tx.put('n', n + again)
    })
  })
  await second.waitForFunction(() => (window as any).attempts === 1)
  await page.evaluate(() => (window as any).db.close())
  await second.waitForFunction(async () => (await (window as any).db.role()) === 'leader')
  const r = await second.evaluate(async () => {
    const w = window as any
    w.go()
    await w.tx
    const out = { attempts: w.attempts, n: await w.db.get('n') }
    await w.db.close()
    return out
  })
  expect(r).toEqual({ attempts: 2, n: 2 })
})
