// The contract each engine worker fills in, and the workloads run against it inside the worker.
// The page sends the same calls to every engine (see peers.ts); timings are taken here, in the
// worker, except for the awaited main-thread reads, which the page times one RPC at a time.
import { dataset, median, prng } from '../measure.ts'
import { serve } from './rpc.ts'

export type Durability = 'durable' | 'relaxed'

/** One store of one engine; every key is a string, every value the same 100-byte array. */
export interface Engine {
  /** Name and version, shown in the results. */
  readonly version: string
  /** Opens a new, empty store called `name`. */
  open(name: string): Promise<void>
  /** Writes `keys` in one transaction (or the engine's nearest equivalent). */
  load(keys: string[], value: Uint8Array): Promise<void>
  /** Makes the loaded data durable and compact where the engine has such a step (cowdb: checkpoint). */
  settle?(): Promise<void>
  /** Gives free space inside its files back, where the engine can (cowdb compact(); SQLite VACUUM). */
  compact?(): Promise<void> | void
  /** Closes the store and opens it again; returns how long the close took, in ms. */
  closeAndReopen?(): Promise<number>
  /** One single-put commit, awaited. */
  commit(key: string, value: Uint8Array, durability: Durability): Promise<void> | void
  get(key: string): Promise<unknown> | unknown
  getMany(keys: string[]): Promise<unknown[]> | unknown[]
  /** Reads up to `limit` entries from `from` in key order; returns how many it read. */
  scan(from: string, limit: number): Promise<number> | number
  /** Takes a point-in-time copy of the whole store and reads `probe` back from it. */
  copy(probe: string): Promise<void>
  /** Deletes the last copy (untimed), so repetitions start alike and copies do not pin space. */
  dropCopy?(): Promise<void>
  /** Bytes the store occupies on disk, or why that cannot be told. */
  bytes(): Promise<number | string>
  /** Where those bytes are (e.g. per file), logged for the reader of the run. */
  describeBytes?(): Promise<string>
  /** Closes the store and deletes its data. */
  drop(): Promise<void>
}

let seq = 0
const fresh = (p: string) => `${p}-${Date.now().toString(36)}-${seq++}`
const keysPerSecond = (count: number, ms: number) => count / (ms / 1000)

/**
 * How long the churn's figure waits after the last write, with no call: background work an
 * engine does by itself (cowdb: a checkpoint 1 s after the last commit, compaction once quiet
 * for 2 s more; LevelDB's compactions) counts, a manual step does not.
 */
export const CHURN_IDLE_MS = 5000

/** Lines for the run's log (a worker's console does not reach Playwright); see `notes`. */
const notes: string[] = []

async function bytesPerKey(store: Engine, n: number, when: string): Promise<number | string> {
  const b = await store.bytes()
  if (store.describeBytes) notes.push(`bytes ${when}: ${await store.describeBytes()}`)
  return typeof b === 'number' ? b / n : b
}

/** The workloads, as RPC handlers over one engine. Call `init` first, then `prepare` for the reads. */
export function hostEngine(makeEngine: () => Engine | Promise<Engine>): void {
  let data: { keys: string[]; value: Uint8Array; probes: string[]; scanFrom: string } | undefined
  let store: Engine | undefined // the store the read, commit, churn and copy workloads share
  const need = () => {
    if (!data || !store) throw new Error('prepare() first')
    return { ...data, store }
  }

  /** Median ms of `reps` runs of `fn`; `after` runs untimed after each. */
  async function timed(reps: number, fn: () => Promise<unknown> | unknown, after?: () => Promise<unknown>): Promise<number> {
    const times: number[] = []
    for (let i = 0; i < reps; i++) {
      const t = performance.now()
      await fn()
      times.push(performance.now() - t)
      await after?.()
    }
    return median(times)
  }

  serve({
    notes: () => notes.splice(0),
    async version() {
      return (await makeEngine()).version
    },
    init(n: number, reads: number) {
      const { keys, value } = dataset(n)
      const r = prng(9)
      const probes = Array.from({ length: reads }, () => keys[Math.floor(r() * n)]!)
      // a third of the way in, or early enough that 10,000 keys follow
      data = { keys, value, probes, scanFrom: [...keys].sort()[Math.max(0, Math.min(Math.floor(n / 3), n - 10_000))]! }
    },
    /** keys/s: a fresh store per repetition, all keys in one transaction. */
    async bulk(reps: number) {
      if (!data) throw new Error('init() first')
      const { keys, value } = data
      const times: number[] = []
      for (let i = 0; i < reps; i++) {
        const e = await makeEngine()
        await e.open(fresh('bulk'))
        const t = performance.now()
        await e.load(keys, value)
        times.push(performance.now() - t)
        await e.drop()
      }
      return keysPerSecond(keys.length, median(times))
    },
    /** Loads the shared store; returns its bytes per key. */
    async prepare() {
      const { keys, value } = data!
      store = await makeEngine()
      await store.open(fresh('read'))
      await store.load(keys, value)
      await store.settle?.()
      return bytesPerKey(store, keys.length, 'after load')
    },
    /** reads/s: a loop of awaited gets, timed in the worker. */
    async reads(reps: number) {
      const { probes, store } = need()
      const ms = await timed(reps, async () => {
        for (const k of probes) if ((await store.get(k)) === undefined) throw new Error(`missing ${k}`)
      })
      return keysPerSecond(probes.length, ms)
    },
    /** One get, for the page's one-RPC-per-read loop. */
    get(key: string) {
      return need().store.get(key)
    },
    async getMany(reps: number) {
      const { probes, store } = need()
      return keysPerSecond(probes.length, await timed(reps, () => store.getMany(probes)))
    },
    /** ms to read 10,000 entries in key order. */
    async scan(reps: number) {
      const { scanFrom, store } = need()
      return timed(reps, async () => {
        const got = await store.scan(scanFrom, 10_000)
        if (got !== 10_000) throw new Error(`scan read ${got} entries`)
      })
    },
    /** commits/s: `count` single puts, each awaited before the next. */
    async commits(count: number, durability: Durability) {
      const { keys, value, store } = need()
      const ms = await timed(1, async () => {
        for (let i = 0; i < count; i++) await store.commit(keys[i]!, value, durability)
      })
      return keysPerSecond(count, ms)
    },
    /**
     * Overwrites a random half of the keys in batches of 1,000; returns bytes per key
     * CHURN_IDLE_MS after the last write, with no call in between.
     */
    async churn() {
      const { keys, value, store } = need()
      const r = prng(17)
      const half = keys.filter(() => r() < 0.5)
      for (let i = 0; i < half.length; i += 1000) await store.load(half.slice(i, i + 1000), value)
      notes.push(`bytes right after the churn: ${String(await bytesPerKey(store, keys.length, 'right after churn'))} B/key`)
      await new Promise((resolve) => setTimeout(resolve, CHURN_IDLE_MS))
      return bytesPerKey(store, keys.length, `${CHURN_IDLE_MS / 1000} s after churn`)
    },
    /** ms a close of the churned store takes (it is opened again for the workloads after). */
    async closeTime() {
      const { store } = need()
      if (!store.closeAndReopen) return 'not measured'
      return store.closeAndReopen()
    },
    /** Bytes per key after the engine's compaction step (run after churn). */
    async compacted() {
      const { keys, store } = need()
      if (!store.compact) return 'no compaction step'
      await store.compact()
      return bytesPerKey(store, keys.length, 'after compaction')
    },
    /** ms for a point-in-time copy of the whole store that is then read from. */
    async copy(reps: number) {
      const { probes, store } = need()
      return timed(reps, () => store.copy(probes[0]!), async () => store.dropCopy?.())
    },
    /** ms for one copy of a store of `n` keys, loaded in transactions of 100,000 (its own store). */
    async copyAt(n: number, reps: number) {
      const { keys, value } = dataset(n, 7)
      const e = await makeEngine()
      await e.open(fresh('big'))
      try {
        for (let i = 0; i < n; i += 100_000) await e.load(keys.slice(i, i + 100_000), value)
        await e.settle?.()
        return await timed(reps, () => e.copy(keys[n >> 1]!), async () => e.dropCopy?.())
      } finally {
        await e.drop()
      }
    },
    async close() {
      await store?.drop()
      store = undefined
    },
  })
}
