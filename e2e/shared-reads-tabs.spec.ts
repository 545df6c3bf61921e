// Follower tabs read without forwarding: the owner's worker sends its publishes to the followers
// that asked (publisher.ts), each keeps them in a cache shared with its page (mirror.ts), and the
// page's reads are answered there. Two tabs: the owner writes all along, the follower reads at the
// head and at snapshots; then the owner's tab closes in the middle and the follower takes over.
import type { Page } from '@playwright/test'
import { expect, openTestPage, test } from './fixtures'

const NAME = 'tabs-reads'
const KEYS = 1500

async function open(p: Page) {
  await openTestPage(p)
  await p.evaluate(async ([name]) => {
    const w = window as any
    w.db = await w.cowdb.openDB(name, { pageSize: 1024 })
  }, [NAME] as const)
}

test('a follower tab reads from its own shared cache while the owner writes: right at head and at snapshots, not forwarded, and on after the owner tab closes', async ({ page, context }) => {
  test.setTimeout(180_000)
  await open(page)
  await page.evaluate(async ([keys]) => {
    const w = window as any
    await w.db.batch(Array.from({ length: keys }, (_, k) => ({ type: 'put', key: k, value: { k, i: 0 } })))
  }, [KEYS] as const)
  const follower = await context.newPage()
  await open(follower)
  expect(await follower.evaluate(() => (window as any).db.role())).toBe('follower')

  // the follower reads every key once (misses ask the owner to send the pages), then counts what it sends
  await follower.evaluate(async ([keys]) => {
    const w = window as any
    for (let i = 0; i < 100 && !w.db.sharedReads().shared; i++) await new Promise((r) => setTimeout(r, 20))
    for (let k = 0; k < keys; k += 100) await w.db.getMany(Array.from({ length: 100 }, (_, j) => k + j))
    w.sent = 0
    const post = Worker.prototype.postMessage
    Worker.prototype.postMessage = function (this: Worker, ...a: [unknown, Transferable[]]) {
      w.sent++
      return post.apply(this, a)
    }
  }, [KEYS] as const)

  // the owner writes all along, until its tab closes: key k gets { k, i } with i counting its writes;
  // each write is logged here before it is sent, and with its generation once it resolved
  const issued = new Set<string>()
  const resolved: [number, number, number][] = []
  await page.exposeFunction('issued', (k: number, i: number) => void issued.add(`${k}:${i}`))
  await page.exposeFunction('resolved', (k: number, i: number, g: number) => void resolved.push([k, i, g]))
  void page.evaluate(async ([keys]) => {
    const w = window as any
    const counts = new Array(keys).fill(0)
    let r = 7
    for (;;) {
      r = (r * 1103515245 + 12345) & 0x7fffffff
      const k = r % keys
      const i = ++counts[k]
      await w.issued(k, i)
      const c = await w.db.put(k, { k, i })
      void w.resolved(k, i, c.generation)
    }
  }, [KEYS] as const).catch(() => {}) // ends with its tab

  type Reads = { head: [number, number][]; snaps: [number, number, number][]; reads: number; hits: number; misses: number; sent: number; backwards: string[] }
  /** The follower reads random keys for `ms`: at the head (each key's i must never go back) and at its snapshots. */
  const readFor = (ms: number) =>
    follower.evaluate(
      async ([ms, keys]) => {
        const w = window as any
        const db = w.db
        w.last ??= new Map<number, number>()
        w.snaps ??= []
        const out = { head: [] as [number, number][], snaps: [] as [number, number, number][], reads: 0, backwards: [] as string[] }
        w.snapCalls ??= 0
        const before = { ...db.sharedReads(), sent: w.sent, snapCalls: w.snapCalls }
        const end = performance.now() + ms
        let r = 11
        while (performance.now() < end) {
          r = (r * 1103515245 + 12345) & 0x7fffffff
          const k = r % keys
          if (r % 50 === 0) {
            // a write of this tab: forwarded, as writes are; one in flight when the owner's tab
            // goes rejects with ClosedError (it may or may not have taken effect), as documented
            w.snapCalls++
            try {
              w.snaps.push(await db.snapshot())
            } catch (e) {
              if ((e as Error).name !== 'ClosedError') throw e
            }
          }
          const snap = w.snaps.length && r % 3 === 0 ? w.snaps[r % w.snaps.length] : undefined
          const v = await db.get(k, snap ? { snapshot: snap.id } : undefined)
          out.reads++
          if (snap) out.snaps.push([snap.generation, k, v.i])
          else {
            if (v.i < (w.last.get(k) ?? 0)) out.backwards.push(`key ${k}: ${w.last.get(k)} then ${v.i}`)
            w.last.set(k, v.i)
            out.head.push([k, v.i])
          }
          if (out.reads % 64 === 0) await new Promise((res) => setTimeout(res)) // let the page breathe
        }
        const after = db.sharedReads()
        return { ...out, hits: after.hits - before.hits, misses: after.misses - before.misses, sent: w.sent - before.sent, snapshotsTaken: w.snapCalls - before.snapCalls }
      },
      [ms, KEYS] as const,
    ) as Promise<Reads & { snapshotsTaken: number }>

  const first = await readFor(3000)
  // the owner's tab goes, writing, in the middle of the follower's reading
  const second = readFor(3000)
  await follower.waitForTimeout(500)
  await page.close()
  const after = await second
  expect(resolved.length).toBeGreaterThan(50) // the owner did write all along

  for (const reads of [first, after]) {
    expect(reads.backwards).toEqual([])
    expect(reads.hits).toBeGreaterThan(reads.reads * 0.8) // most reads never left the tab
    // what the follower sent: a get and a warm per miss, and its snapshot() calls; nothing for a hit
    expect(reads.sent).toBeLessThanOrEqual(2 * reads.misses + reads.snapshotsTaken)
  }
  // every value read at the head was written; every snapshot read is the value as of the snapshot,
  // or a later write the closing tab sent and never heard back about (it may have taken effect)
  expect([...first.head, ...after.head].filter(([k, i]) => i > 0 && !issued.has(`${k}:${i}`))).toEqual([])
  const byKey = new Map<number, [number, number][]>() // key -> [generation, i]
  for (const [k, i, g] of resolved) byKey.set(k, [...(byKey.get(k) ?? []), [g, i]])
  const asOf = (k: number, g: number) => (byKey.get(k) ?? []).filter(([gen]) => gen <= g).reduce((x, [, i]) => Math.max(x, i), 0)
  const unanswered = (k: number, i: number) => issued.has(`${k}:${i}`) && !resolved.some(([key, x]) => key === k && x === i)
  const snapReads = [...first.snaps, ...after.snaps]
  expect(snapReads.length).toBeGreaterThan(20)
  expect(snapReads.filter(([g, k, i]) => i !== asOf(k, g) && !(i > asOf(k, g) && unanswered(k, i)))).toEqual([])

  // the follower owns the files now, reads from the same cache, and its writes read back
  const now = await follower.evaluate(async () => {
    const db = (window as any).db
    await db.put('after', 'takeover')
    const hits = db.sharedReads().hits
    return { role: await db.role(), after: await db.get('after'), hit: db.sharedReads().hits - hits, shared: db.sharedReads().shared }
  })
  expect(now).toEqual({ role: 'leader', after: 'takeover', hit: 1, shared: true })
})
