// "Reads that never leave the tab" (npm run bench; `--only shared` for this part alone): drives
// bench/browser/shared-reads.ts in the benchmark page, with the concurrent writer in a second page
// of the same origin (its own main thread: a cowdb tab that forwards its commits to the reading
// tab's worker, or a raw IndexedDB writer with strict durability). Every figure is from this run.
import type { BrowserContext, Page } from '@playwright/test'
import { median, type Row } from './measure.ts'

type Phase = { perSecond: number; p50: number; p99: number; hitRate?: number; misses?: number }
const pct = (x: number | undefined) => (x === undefined ? '' : `${(x * 100).toFixed(1)}% from shared memory`)
/** The hit rate with the count of reads that asked the worker (a follower's go to the owner tab). */
const asked = (p: Phase) => `${pct(p.hitRate)} (${(p.misses ?? 0).toLocaleString('en-US')} asked the worker)`

/** The rows of the section; `base` is the benchmark page's origin. */
export async function sharedReadsRows(context: BrowserContext, page: Page, base: string, n: number, quick: boolean): Promise<Row[]> {
  const reads = quick ? 20_000 : 100_000
  const slow = quick ? 5_000 : 20_000
  const names = (await page.evaluate((n) => (window as any).sharedSetup(n), n)) as Record<string, string>
  const writerPage = await context.newPage()
  await writerPage.goto(base)
  await writerPage.waitForFunction(() => document.body.textContent === 'ready')
  const phase = (which: string, name: string, count: number) => page.evaluate(([w, nm, c]) => (window as any).readPhase(w, nm, c), [which, name, count] as const) as Promise<Phase>
  /** A read phase while the writer page commits to `store`; with the writer's commits per second. */
  const writing = async <P extends object>(kind: 'cowdb' | 'idb', store: string, run: () => Promise<P>) => {
    const rate = writerPage.evaluate(([k, s, n]) => (window as any).writer(k, s, n), [kind, store, n] as const) as Promise<number>
    await writerPage.waitForFunction(() => (window as any).writerCommits() >= 20) // it is committing before the reads start
    const r = await run()
    await writerPage.evaluate(() => (window as any).stopWriting())
    return { ...r, writer: await rate }
  }
  const fast = await writing('cowdb', names.fast!, () => phase('fast', names.fast!, reads))
  const followerPage = await context.newPage()
  await followerPage.goto(base)
  await followerPage.waitForFunction(() => document.body.textContent === 'ready')
  if (!(await followerPage.evaluate(([nm, n]) => (window as any).followerSetup(nm, n), [names.fast!, n] as const))) throw new Error('bench: the follower page did not follow')
  // The owner tab and the follower tab read in alternating rounds under one writer, so that both
  // meet the same load (on this shared VM it drifts between phases run one after the other).
  const rounds = quick ? 2 : 4
  const per = Math.round(reads / rounds)
  const commits = () => writerPage.evaluate(() => (window as any).writerCommits()) as Promise<number>
  const pairs = await writing('cowdb', names.fast!, async () => {
    const sides = { owner: { phases: [] as Phase[], writer: [] as number[] }, follower: { phases: [] as Phase[], writer: [] as number[] } }
    for (let i = 0; i < rounds; i++) {
      for (const [who, side] of [[page, sides.owner], [followerPage, sides.follower]] as const) {
        const [c0, t0] = [await commits(), Date.now()]
        side.phases.push((await who.evaluate(([nm, c]) => (window as any).readPhase('fast', nm, c), [names.fast!, per] as const)) as Phase)
        side.writer.push(((await commits()) - c0) / ((Date.now() - t0) / 1000))
      }
    }
    return sides
  })
  /** One side's rounds as one phase: the median round's rates, every read's misses. */
  const side = (s: { phases: Phase[]; writer: number[] }): Phase & { writer: number } => {
    const misses = s.phases.reduce((a, p) => a + (p.misses ?? 0), 0)
    return { perSecond: median(s.phases.map((p) => p.perSecond)), p50: median(s.phases.map((p) => p.p50)), p99: median(s.phases.map((p) => p.p99)), misses, hitRate: 1 - misses / (per * rounds), writer: median(s.writer) }
  }
  const follower = side(pairs.follower)
  const ownerPaired = side(pairs.owner)
  await followerPage.evaluate(() => (window as any).sharedTeardown())
  await followerPage.close()
  const rt = await writing('cowdb', names.rt!, () => phase('rt', names.rt!, slow))
  const idb = await writing('idb', names.idb!, () => phase('idb', names.idb!, slow))
  const echo = await phase('echo', '', slow)
  const small = await writing('cowdb', names.small!, () => phase('small', names.small!, slow))
  await writerPage.close()
  const cold = (await page.evaluate(([nm, c]) => (window as any).coldPhase(nm, c), [names.fast!, slow] as const)) as Phase
  const cost = (await page.evaluate(([n, rounds]) => (window as any).writerCost(n, rounds, 1000), [n, quick ? 3 : 7] as const)) as { on: number; off: number }
  await page.evaluate(() => (window as any).sharedTeardown())

  const count = n.toLocaleString('en-US')
  const peers = (f: (p: Phase) => number) => ({ 'IndexedDB get': f(idb), 'postMessage round trip': f(echo), 'cowdb round trip': f(rt) })
  const w = (p: { writer: number }) => `writer ${Math.round(p.writer).toLocaleString('en-US')} commits/s`
  return [
    { workload: `awaited get, uniformly random over ${count} keys, pages in the cache, a writer committing throughout`, unit: 'reads/s', cowdb: fast.perSecond, peers: peers((p) => p.perSecond), higherIsBetter: true, note: `${asked(fast)}; cowdb ${w(fast)}, IndexedDB ${w(idb)}` },
    { workload: 'the same, p50 latency', unit: 'µs', cowdb: fast.p50, peers: peers((p) => p.p50), higherIsBetter: false, note: 'timer resolution 5 µs' },
    { workload: 'the same, p99 latency', unit: 'µs', cowdb: fast.p99, peers: peers((p) => p.p99), higherIsBetter: false },
    { workload: `the same from a follower tab (its own copy of the owner's pages) vs the owner tab, in ${rounds} alternating rounds under one writer (medians)`, unit: 'reads/s', cowdb: follower.perSecond, peers: { 'owner tab': ownerPaired.perSecond, 'cowdb round trip': rt.perSecond }, higherIsBetter: true, note: `follower ${asked(follower)}, p50 ${follower.p50.toFixed(0)} µs, p99 ${follower.p99.toFixed(0)} µs; owner tab ${asked(ownerPaired)}; ${w(follower)} while the follower read, ${Math.round(ownerPaired.writer).toLocaleString('en-US')} while the owner tab did` },
    { workload: 'working set 3x the shared cache, a writer committing throughout', unit: 'reads/s', cowdb: small.perSecond, peers: { 'IndexedDB get': idb.perSecond, 'cowdb round trip': rt.perSecond }, higherIsBetter: true, note: `${pct(small.hitRate)}, p50 ${small.p50.toFixed(0)} µs, p99 ${small.p99.toFixed(0)} µs` },
    { workload: `cold cache: the first ${slow.toLocaleString('en-US')} reads after open`, unit: 'reads/s', cowdb: cold.perSecond, peers: { 'IndexedDB get': idb.perSecond, 'cowdb round trip': rt.perSecond }, higherIsBetter: true, note: `${pct(cold.hitRate)}; misses publish the pages they walk` },
    { workload: 'not cross-origin isolated (or sharedCacheBytes: 0): every read a round trip', unit: 'reads/s', cowdb: rt.perSecond, peers: { 'IndexedDB get': idb.perSecond, 'postMessage round trip': echo.perSecond }, higherIsBetter: true, note: `p50 ${rt.p50.toFixed(0)} µs, p99 ${rt.p99.toFixed(0)} µs` },
    { workload: 'what publishing costs a writer: awaited single-put commits, shared cache on vs off', unit: 'commits/s', cowdb: cost.on, peers: { 'publishing off': cost.off }, higherIsBetter: true, note: 'alternating rounds of 1 s, medians' },
    // the same writer page in both phases: while a follower tab reads, the owner also sends it pages
    { workload: 'what feeding a follower tab costs the owner: the writer tab\'s commits while a follower reads (the owner sends it pages) vs while the owner tab reads with no follower', unit: 'commits/s', cowdb: follower.writer, peers: { 'owner tab reading': fast.writer }, higherIsBetter: true, note: `follower ${pct(follower.hitRate)}` },
  ]
}
