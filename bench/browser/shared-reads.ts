// Reads that never leave the tab (bench/run.ts drives it): awaited main-thread gets answered from
// the worker's shared page cache, against raw IndexedDB's awaited get, a bare postMessage round
// trip, and cowdb's own round trip, all in one cross-origin isolated page, with a writer committing
// throughout from another tab (writer(), run in a second page). Uniformly random keys over a
// store of n keys whose pages fit the cache; the same from a follower tab (a third page, reading
// from its own copy of the owner's pages); then a working set larger than the cache, the cold
// cache, and what publishing costs the writer (commits/s with it on and off, alternating rounds).
import { openDB as openIdb, type IDBPDatabase } from 'idb'
import { openDB, type BrowserDatabase } from '@cowdb/browser'
import { dataset, median, prng } from '../measure.ts'
import { postMessageTrips } from './round-trip.ts'

const BIG = 64 * 1024 * 1024
const open = new Map<string, BrowserDatabase>()
let idb: IDBPDatabase | undefined
let keys: string[] = []

/** One read phase: reads per second, latency percentiles (µs), and the shared cache's hit rate (and the reads that asked the worker). */
export type Phase = { perSecond: number; p50: number; p99: number; hitRate?: number; misses?: number }

const pct = (sorted: Float64Array, p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! * 1000

async function loaded(name: string, n: number, sharedCacheBytes: number): Promise<BrowserDatabase> {
  const db = await openDB(name, { sharedCacheBytes })
  if ((await db.count()) !== n) {
    const { value } = dataset(n)
    await db.batch(keys.map((key) => ({ type: 'put' as const, key, value })))
    await db.checkpoint()
  }
  open.set(name, db)
  return db
}

/**
 * Opens and fills the stores of the read phases: 'fast' (a cache that holds every page), 'small'
 * (a cache of a third of the pages), 'rt' (no shared cache: every read is a round trip), and raw
 * IndexedDB. Returns their names for the writer page. Cost: loading n keys four times.
 */
export async function sharedSetup(n: number): Promise<Record<string, string>> {
  keys = dataset(n).keys
  const names = { fast: `sr-fast-${n}`, small: `sr-small-${n}`, rt: `sr-rt-${n}`, idb: `sr-idb-${n}` }
  await loaded(names.fast, n, BIG)
  await loaded(names.small, n, Math.round((BIG / 100_000) * n * 0.12)) // about a third of the pages
  await loaded(names.rt, n, 0)
  idb = await openIdb(names.idb, 1, { upgrade: (d) => void d.createObjectStore('kv') })
  const tx = idb.transaction('kv', 'readwrite')
  const { value } = dataset(n)
  for (const k of keys) void tx.store.put(value, k)
  await tx.done
  // every page of the fast store published once (the first reads miss, the worker publishes)
  const fast = open.get(names.fast)!
  for (let i = 0; i < n; i += 500) await fast.getMany(keys.slice(i, i + 500))
  return names
}

/**
 * In a third page: opens store `name` as a follower tab (the reading page's worker owns it) and
 * reads every key once (the misses ask the owner to send those pages). True if it follows.
 * Cost: n reads.
 */
export async function followerSetup(name: string, n: number): Promise<boolean> {
  keys = dataset(n).keys
  const db = await openDB(name, { sharedCacheBytes: BIG })
  open.set(name, db)
  for (let i = 0; i < 250 && !db.sharedReads().shared; i++) await new Promise((r) => setTimeout(r, 20))
  for (let i = 0; i < n; i += 500) await db.getMany(keys.slice(i, i + 500))
  return (await db.role()) === 'follower'
}

/** `reads` awaited gets of uniformly random keys on store `which` (or the bare round trip: 'echo'). */
export async function readPhase(which: 'fast' | 'small' | 'rt' | 'idb' | 'echo', name: string, reads: number): Promise<Phase> {
  const r = prng(11)
  const probes = Array.from({ length: reads }, () => keys[Math.floor(r() * keys.length)]!)
  if (which === 'echo') return summarize(await postMessageTrips(reads))
  const db = open.get(name)
  const before = db?.sharedReads()
  const times = new Float64Array(reads)
  const start = performance.now()
  if (which === 'idb') {
    for (let i = 0; i < reads; i++) {
      const t = performance.now()
      await idb!.get('kv', probes[i]!)
      times[i] = performance.now() - t
    }
  } else {
    for (let i = 0; i < reads; i++) {
      const t = performance.now()
      await db!.get(probes[i]!)
      times[i] = performance.now() - t
    }
  }
  const out = summarize(times, performance.now() - start)
  if (db && before) {
    const after = db.sharedReads()
    const hits = after.hits - before.hits
    out.misses = after.misses - before.misses
    out.hitRate = hits / Math.max(1, hits + out.misses)
  }
  return out
}

function summarize(times: Float64Array | number[], wallMs?: number): Phase {
  const sorted = Float64Array.from(times).sort()
  const total = wallMs ?? sorted.reduce((a, b) => a + b, 0)
  return { perSecond: sorted.length / (total / 1000), p50: pct(sorted, 0.5), p99: pct(sorted, 0.99) }
}

/** The first `reads` random gets after the fast store is opened again (nothing published yet but the roots). */
export async function coldPhase(name: string, reads: number): Promise<Phase> {
  await open.get(name)!.close()
  open.delete(name)
  open.set(name, await openDB(name, { sharedCacheBytes: BIG }))
  return readPhase('fast', name, reads)
}

/**
 * What publishing costs a writer: awaited single-put commits on a store with the shared cache
 * and on one without, `rounds` alternating rounds of `ms` each; the medians, commits/s.
 */
export async function writerCost(n: number, rounds: number, ms: number): Promise<{ on: number; off: number }> {
  const on = await loaded(`wc-on-${n}`, n, BIG)
  const off = await loaded(`wc-off-${n}`, n, 0)
  const { value } = dataset(n)
  const r = prng(5)
  const rate = async (db: BrowserDatabase) => {
    let commits = 0
    const end = performance.now() + ms
    const t = performance.now()
    while (performance.now() < end) {
      await db.put(keys[Math.floor(r() * keys.length)]!, value)
      commits++
    }
    return commits / ((performance.now() - t) / 1000)
  }
  const results = { on: [] as number[], off: [] as number[] }
  for (let i = 0; i < rounds; i++) {
    for (const [which, db] of (i % 2 ? [['off', off], ['on', on]] : [['on', on], ['off', off]]) as ['on' | 'off', BrowserDatabase][]) results[which].push(await rate(db))
  }
  return { on: median(results.on), off: median(results.off) }
}

/** Closes what the phases opened. */
export async function sharedTeardown(): Promise<void> {
  for (const db of open.values()) await db.close()
  open.clear()
  idb?.close()
}

// ---- the writer's page --------------------------------------------------------------------------

let stop = false
let commits = 0

/**
 * In a second page: commits single random puts to store `name` (a cowdb follower of the reading
 * page's worker, or raw IndexedDB with strict durability) until stopWriting(); resolves with the
 * commits per second from its first commit on.
 */
export async function writer(kind: 'cowdb' | 'idb', name: string, n: number): Promise<number> {
  stop = false
  commits = 0
  const { keys: ks, value } = dataset(n)
  const r = prng(3)
  let t = 0
  const d = kind === 'idb' ? await openIdb(name, 1) : undefined
  const db = kind === 'cowdb' ? await openDB(name, { sharedCacheBytes: 0 }) : undefined // it only writes
  while (!stop) {
    const k = ks[Math.floor(r() * n)]!
    if (db) await db.put(k, value)
    else {
      const tx = d!.transaction('kv', 'readwrite', { durability: 'strict' })
      void tx.store.put(value, k)
      await tx.done
    }
    if (commits++ === 0) t = performance.now()
  }
  const rate = (commits - 1) / ((performance.now() - t) / 1000)
  d?.close()
  await db?.close()
  return rate
}

/** Commits the writer made so far. */
export function writerCommits(): number {
  return commits
}

export function stopWriting(): void {
  stop = true
}
