// The page side of "every peer in its own worker": starts one engine worker at a time (so the
// engines never compete for the 2 cores), runs the same workload list against each, and turns
// the figures into table rows. A peer that fails shows its error text instead of a figure.
import { dataset, prng, type Row } from '../measure.ts'
import { CHURN_IDLE_MS } from './engine.ts'
import { connect, type Client } from './rpc.ts'

/** Each engine's worker; `new Worker(new URL(...))` must be written out literally for Vite. */
const ENGINES: Record<string, () => Worker> = {
  cowdb: () => new Worker(new URL('./cowdb-worker.ts', import.meta.url), { type: 'module' }),
  'cowdb IDB store': () => new Worker(new URL('./cowdb-idb-worker.ts', import.meta.url), { type: 'module' }),
  IndexedDB: () => new Worker(new URL('./indexeddb-worker.ts', import.meta.url), { type: 'module' }),
  Dexie: () => new Worker(new URL('./dexie-worker.ts', import.meta.url), { type: 'module' }),
  'SQLite-WASM': () => new Worker(new URL('./sqlite-worker.ts', import.meta.url), { type: 'module' }),
  'sorted-btree': () => new Worker(new URL('./sorted-btree-worker.ts', import.meta.url), { type: 'module' }),
  'OPFS raw': () => new Worker(new URL('./opfs-raw-worker.ts', import.meta.url), { type: 'module' }),
}

type Sizes = { n: number; reads: number; reps: number; commits: number; probes: string[] }
type Workload = { id: string; workload: string; unit: string; higherIsBetter: boolean; note?: string; run: (c: Client, s: Sizes) => Promise<number | string> }

const count = (x: number) => x.toLocaleString('en-US')
const perSecond = (k: number, ms: number) => k / (ms / 1000)

/** In table order; `bytesLoad` (prepare) loads the store the others after it share. */
const WORKLOADS: Workload[] = [
  { id: 'bulk', workload: 'bulk load, one transaction', unit: 'keys/s', higherIsBetter: true, run: (c, s) => c.call('bulk', s.reps) },
  { id: 'bytesLoad', workload: 'bytes on disk per key after load', unit: 'B/key', higherIsBetter: false, note: "IndexedDB/Dexie: growth of the profile's IndexedDB directory, approximate; OPFS raw: key+value bytes", run: (c) => c.call('prepare') },
  { id: 'reads', workload: 'random point reads, loop of gets inside the worker', unit: 'reads/s', higherIsBetter: true, run: (c, s) => c.call('reads', s.reps) },
  {
    id: 'mainReads',
    workload: 'random point reads awaited one by one from the main thread',
    unit: 'reads/s',
    higherIsBetter: true,
    note: 'one RPC per get',
    async run(c, s) {
      const t = performance.now()
      for (const k of s.probes) if ((await c.call('get', k)) === undefined) throw new Error(`missing ${k}`)
      return perSecond(s.probes.length, performance.now() - t)
    },
  },
  { id: 'getMany', workload: 'random point reads batched (getMany / one read transaction)', unit: 'reads/s', higherIsBetter: true, run: (c, s) => c.call('getMany', s.reps) },
  { id: 'scan', workload: 'range scan of 10,000 keys', unit: 'ms', higherIsBetter: false, run: (c, s) => c.call('scan', s.reps * 3) },
  {
    id: 'commits',
    workload: 'single-put durable commits, one at a time',
    unit: 'commits/s',
    higherIsBetter: true,
    note: "IndexedDB/Dexie durability 'strict'; SQLite synchronous=FULL; sorted-btree not durable; OPFS raw 4 KiB write + flush",
    run: (c, s) => c.call('commits', s.commits, 'durable'),
  },
  {
    id: 'commitsRelaxed',
    workload: 'same, relaxed',
    unit: 'commits/s',
    higherIsBetter: true,
    note: "cowdb durability 'relaxed' (flushed within 100 ms); IndexedDB/Dexie 'relaxed'; SQLite synchronous=NORMAL",
    run: (c, s) => c.call('commits', s.commits, 'relaxed'),
  },
  { id: 'bytesChurn', workload: 'bytes on disk per key after overwriting a random 50% (batches of 1,000)', unit: 'B/key', higherIsBetter: false, note: `no call after the last write; measured ${CHURN_IDLE_MS / 1000} s later`, run: (c) => c.call('churn') },
  { id: 'closeChurned', workload: 'close() of the churned store', unit: 'ms', higherIsBetter: false, note: 'what is left to do at close', run: (c) => c.call('closeTime') },
  { id: 'bytesCompacted', workload: 'same, after the engine\'s compaction step', unit: 'B/key', higherIsBetter: false, note: 'cowdb compact(); SQLite VACUUM', run: (c) => c.call('compacted') },
  {
    id: 'copy',
    workload: 'point-in-time copy of the whole store, then read from it',
    unit: 'ms',
    higherIsBetter: false,
    note: 'cowdb snapshot(); SQLite VACUUM INTO; IndexedDB/Dexie copy the store; sorted-btree clone(); OPFS raw file copy',
    run: (c, s) => c.call('copy', s.reps),
  },
]

/** Engines whose files live in the profile's IndexedDB directory, which run.ts measures on disk. */
const IN_INDEXEDDB = new Set(['IndexedDB', 'Dexie'])
// run.ts measures this page's origin's IndexedDB directory; it runs IndexedDB and Dexie each
// from its own origin (127.0.0.2, 127.0.0.3) so one's lazy compaction never shows in the other's
const indexedDbDiskBytes = () => (window as unknown as { indexedDbDiskBytes?: () => Promise<number> }).indexedDbDiskBytes
const reason = (e: unknown) => `could not run: ${e instanceof Error ? e.message : String(e)}`.slice(0, 160)

/** Runs `fn`, or gives up after `ms` (a hung worker must not stop the whole bench). */
function withTimeout<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s`)), ms)
    fn().then(resolve, reject).finally(() => clearTimeout(timer))
  })
}

/** Every workload against one engine in a fresh worker; a failure fills the remaining figures. */
async function runEngine(label: string, s: Sizes): Promise<{ version: string; figures: Record<string, number | string> }> {
  const figures: Record<string, number | string> = {}
  let version = label
  let broken: string | undefined
  const client = connect(ENGINES[label]!())
  try {
    version = await withTimeout(60_000, () => client.call<string>('version'))
    await withTimeout(60_000, () => client.call('init', s.n, s.reads))
  } catch (e) {
    broken = reason(e)
  }
  const onDisk = IN_INDEXEDDB.has(label) ? indexedDbDiskBytes() : undefined
  let diskBefore = 0
  // bulk load runs last: its throwaway stores, once deleted, shrink IndexedDB's shared files
  // later (lazy compaction), which would skew the on-disk figures of the shared store
  const runOrder = [...WORKLOADS.filter((w) => w.id !== 'bulk'), ...WORKLOADS.filter((w) => w.id === 'bulk')]
  for (const w of runOrder) {
    if (broken) {
      figures[w.id] = broken
      continue
    }
    console.log(`  ${label}: ${w.id}`)
    try {
      if (onDisk && w.id === 'bytesLoad') diskBefore = await onDisk()
      figures[w.id] = await withTimeout(10 * 60_000, () => w.run(client, s))
      if (onDisk && w.id.startsWith('bytes')) {
        console.log(`  ${label}: ${w.id} by storage.estimate(): ${Number(figures[w.id]).toFixed(1)} B/key`)
        figures[w.id] = ((await onDisk()) - diskBefore) / s.n
      }
    } catch (e) {
      figures[w.id] = reason(e)
      // without the loaded store, or with a hung worker, nothing after can run
      if (w.id === 'bytesLoad' || String(e).includes('timed out') || String(e).includes('worker failed')) broken = figures[w.id] as string
    }
  }
  try {
    if (!broken) version = await withTimeout(60_000, () => client.call<string>('version')) // SQLite's journal mode is known now
    for (const line of await withTimeout(60_000, () => client.call<string[]>('notes'))) console.log(`  ${label}: ${line}`)
    await withTimeout(60_000, () => client.call('close'))
  } catch {
    // the figures are in; a failed clean-up does not change them
  }
  client.terminate()
  return { version, figures }
}

export type EngineFigures = { version: string; figures: Record<string, number | string> }

/** Every workload against each engine in `labels` (default: all), one engine after another. */
export async function peersBench(n: number, reads: number, reps: number, labels = Object.keys(ENGINES)): Promise<Record<string, EngineFigures>> {
  const { keys } = dataset(n)
  const r = prng(9)
  const s: Sizes = { n, reads, reps, commits: Math.min(1000, n), probes: Array.from({ length: reads }, () => keys[Math.floor(r() * n)]!) }
  const out: Record<string, EngineFigures> = {}
  for (const label of labels) {
    console.log(`engine ${label}`)
    out[label] = await runEngine(label, s)
  }
  return out
}

/** The table: one row per workload, cowdb against every peer, in ENGINES order. */
export function peerRows(all: Record<string, EngineFigures>, n: number, reads: number): Row[] {
  const sized: Record<string, string> = { bulk: `bulk load ${count(n)} keys, one transaction`, reads: `${count(reads)} random point reads, loop of gets inside the worker`, mainReads: `${count(reads)} random point reads awaited one by one from the main thread`, getMany: `${count(reads)} random point reads batched (getMany / one read transaction)`, commits: `${count(Math.min(1000, n))} single-put durable commits, one at a time`, copy: `point-in-time copy of ${count(n)} keys, then read from it` }
  const figure = (label: string, id: string) => all[label]?.figures[id] ?? 'not run'
  return WORKLOADS.map((w): Row => {
    const own = figure('cowdb', w.id)
    const peers = Object.fromEntries(Object.keys(ENGINES).filter((l) => l !== 'cowdb').map((l) => [l, figure(l, w.id)]))
    const note = [w.note, typeof own === 'string' ? `cowdb ${own}` : undefined].filter(Boolean).join('; ')
    return { workload: sized[w.id] ?? w.workload, unit: w.unit, cowdb: typeof own === 'number' ? own : undefined, peers, higherIsBetter: w.higherIsBetter, ...(note ? { note } : {}) }
  })
}

/** cowdb snapshot() against SQLite VACUUM INTO on a large store, each in its own worker. */
export async function copyAtScale(n: number, reps: number): Promise<Row[]> {
  const figure = async (label: string) => {
    const client = connect(ENGINES[label]!())
    try {
      console.log(`engine ${label}: copy at ${count(n)} keys`)
      return await withTimeout(15 * 60_000, () => client.call<number>('copyAt', n, reps))
    } catch (e) {
      return reason(e)
    } finally {
      client.terminate()
    }
  }
  const own = await figure('cowdb')
  const sqlite = await figure('SQLite-WASM')
  return [{ workload: `point-in-time copy of ${count(n)} keys, then read from it`, unit: 'ms', cowdb: typeof own === 'number' ? own : undefined, peers: { 'SQLite-WASM': sqlite }, higherIsBetter: false, note: typeof own === 'string' ? `cowdb ${own}` : 'cowdb snapshot(); SQLite VACUUM INTO' }]
}
