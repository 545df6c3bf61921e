// Shared-memory reads in the browser (e2e/shared-reads.spec.ts drives it). The race property:
// a writer (puts, deletes, batches, range deletes, snapshots and their drops, checkpoints, gc,
// compaction) and a reader (get, getMany, scan, count at the head and at snapshots) run at once
// on one database, through a shared page cache small enough to evict all the time. Every read
// must return what some committed state held at or after the read's start: at least every write
// that resolved before it was issued (read-your-writes), and nothing issued after it resolved.
// (A write issued but not resolved is concurrent with the read: even the worker may run the read
// first, when the write waits behind a checkpoint.) A snapshot read returns the snapshot's state
// exactly, or SnapshotNotFoundError only once its drop was issued. A torn or reused page could
// only give a value no state ever held.
import fc from 'fast-check'
import { decodeValue, encodeKey, encodeValue } from '@cowdb/core'
import { openDB, type BrowserDatabase } from '@cowdb/browser'
import { MISS, readValue } from '@cowdb/core/page-read'
import { Layout, Node } from '../../packages/core/src/node.ts'
import { encodeNode } from '../../packages/core/src/page.ts'
import { SharedCacheReader, createSharedCache } from '../../packages/browser/src/shared-cache.ts'

const KEYS = 120
type At = { snap: number } | undefined
type Cmd =
  | { t: 'put'; k: number; big: boolean; relaxed: boolean; wait: boolean }
  | { t: 'del'; k: number; wait: boolean }
  | { t: 'batch'; ks: number[]; wait: boolean }
  | { t: 'range'; a: number; b: number; wait: boolean }
  | { t: 'snap' | 'checkpoint' | 'gc' | 'compact'; wait: boolean }
  | { t: 'drop'; i: number; wait: boolean }
type ReadCmd =
  | { t: 'get'; k: number }
  | { t: 'many'; ks: number[] }
  | { t: 'scan'; a: number; b: number; limit: number; reverse: boolean }
  | { t: 'count'; a: number; b: number }
type Run = { cmds: Cmd[]; reads: { r: ReadCmd; snap: number | null; together: boolean }[]; cacheBytes: number }

const key = fc.integer({ min: 0, max: KEYS - 1 })
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ t: fc.constant('put' as const), k: key, big: fc.boolean(), relaxed: fc.boolean(), wait: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('del' as const), k: key, wait: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('batch' as const), ks: fc.array(key, { minLength: 1, maxLength: 30 }), wait: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('range' as const), a: key, b: key, wait: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constantFrom('snap' as const, 'checkpoint' as const, 'gc' as const, 'compact' as const), wait: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('drop' as const), i: fc.nat(20), wait: fc.boolean() }) },
)
const readArb: fc.Arbitrary<ReadCmd> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('get' as const), k: key }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('many' as const), ks: fc.array(key, { minLength: 1, maxLength: 6 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('scan' as const), a: key, b: key, limit: fc.integer({ min: 1, max: 40 }), reverse: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('count' as const), a: key, b: key }) },
)
const runArb: fc.Arbitrary<Run> = fc.record({
  cmds: fc.array(cmdArb, { minLength: 20, maxLength: 90 }),
  reads: fc.array(fc.record({ r: readArb, snap: fc.option(fc.nat(20)), together: fc.boolean() }), { minLength: 20, maxLength: 60 }),
  cacheBytes: fc.constantFrom(80 * 1024, 160 * 1024, 2 * 1024 * 1024),
})

type State = Map<number, unknown>
type Commit = { issued: number; resolved?: number; c: number; keys: number[] | 'all' }
type Snap = { c: number; id?: string; resolved?: number; dropIssued?: number; dropResolved?: number }
type Done = { r: ReadCmd; snap?: Snap; issued: number; resolved: number; value?: unknown; error?: string; fast?: boolean }

/** What a read returns on a state (the same shape the database answers with). */
function project(s: State, r: ReadCmd): unknown {
  const sorted = () => [...s.keys()].sort((x, y) => x - y)
  if (r.t === 'get') return s.get(r.k)
  if (r.t === 'many') return r.ks.map((k) => s.get(k))
  const inRange = sorted().filter((k) => k >= r.a && k < r.b)
  if (r.t === 'count') return inRange.length
  return (r.reverse ? inRange.reverse() : inRange).slice(0, r.limit).map((k) => [k, s.get(k)])
}

function call(db: BrowserDatabase, r: ReadCmd, at: { snapshot?: string }): Promise<unknown> {
  if (r.t === 'get') return db.get(r.k, at)
  if (r.t === 'many') return db.getMany(r.ks, at)
  if (r.t === 'count') return db.count({ gte: r.a, lt: r.b }, at)
  return db.scan({ gte: r.a, lt: r.b, limit: r.limit, reverse: r.reverse, ...at })
}

let runNumber = 0
/** One run: the writer and the reader at once, then every read checked. Returns the reads' counts. */
/** Reads each run makes at least, however fast its writer finishes (the spec counts on them). */
const READS_PER_RUN = 300

async function race(run: Run): Promise<{ reads: number; hits: number; misses: number }> {
  const db = await openDB(`race-${Date.now()}-${runNumber++}`, { pageSize: 1024, sharedCacheBytes: run.cacheBytes, walCheckpointBytes: 16 * 1024, checkpointDelayMs: 5 } as never)
  let clock = 0
  let writes = 0
  const states: State[] = [new Map()]
  const commits: Commit[] = []
  const snaps: Snap[] = []
  const done: Done[] = []
  const pending: Promise<unknown>[] = []
  const reading: Promise<unknown>[] = []
  const commit = (keys: number[] | 'all', change: (s: State) => void, send: () => Promise<unknown>) => {
    const s = new Map(states.at(-1)!)
    change(s)
    states.push(s)
    const c: Commit = { issued: ++clock, c: states.length - 1, keys }
    commits.push(c)
    return send().then(() => void (c.resolved = ++clock))
  }
  const issue = (cmd: Cmd): Promise<unknown> => {
    switch (cmd.t) {
      case 'put': {
        const value = { w: ++writes, pad: cmd.big ? 'x'.repeat(700) : '' }
        // relaxed: resolved before it is durable, so before it is published
        return commit([cmd.k], (s) => s.set(cmd.k, value), () => db.put(cmd.k, value, cmd.relaxed ? { durability: 'relaxed' } : undefined))
      }
      case 'del':
        return commit([cmd.k], (s) => s.delete(cmd.k), () => db.delete(cmd.k))
      case 'batch': {
        const ops = cmd.ks.map((k) => ({ type: 'put' as const, key: k, value: { w: ++writes, pad: '' } }))
        return commit(cmd.ks, (s) => ops.forEach((o) => s.set(o.key, o.value)), () => db.batch(ops))
      }
      case 'range': {
        const [a, b] = cmd.a <= cmd.b ? [cmd.a, cmd.b] : [cmd.b, cmd.a]
        return commit('all', (s) => [...s.keys()].filter((k) => k >= a && k < b).forEach((k) => s.delete(k)), () => db.deleteRange({ gte: a, lt: b }))
      }
      case 'snap': {
        const snap: Snap = { c: states.length - 1 }
        snaps.push(snap)
        return db.snapshot().then((info) => {
          snap.id = info.id
          snap.resolved = ++clock
        })
      }
      case 'drop': {
        const snap = snaps.filter((s) => s.id !== undefined && s.dropIssued === undefined)[cmd.i]
        if (!snap) return Promise.resolve()
        snap.dropIssued = ++clock
        return db.dropSnapshot(snap.id!).then(() => void (snap.dropResolved = ++clock))
      }
      case 'checkpoint':
        return db.checkpoint()
      case 'gc':
        return db.gc()
      case 'compact':
        return db.compact()
    }
  }
  let writing = true
  const writer = (async () => {
    for (const cmd of run.cmds) {
      const p = issue(cmd)
      pending.push(p)
      if (cmd.wait) await p
      else if (cmd.t === 'snap') await new Promise((r) => setTimeout(r, 0))
    }
    await Promise.all(pending)
    writing = false
  })()
  const reader = (async () => {
    // reads go on while the writer does, and at least READS_PER_RUN of them whatever its speed
    for (let i = 0; writing || i < Math.max(run.reads.length, READS_PER_RUN); i++) {
      const { r, snap, together } = run.reads[i % run.reads.length]!
      const known = snaps.filter((s) => s.id !== undefined)
      const s = snap === null || !known.length ? undefined : known[snap % known.length]
      const rec: Done = { r, snap: s, issued: ++clock, resolved: 0 }
      const hits = db.sharedReads().hits
      const sent = call(db, r, s ? { snapshot: s.id } : {})
      rec.fast = db.sharedReads().hits > hits
      const p = sent.then(
        (value) => Object.assign(rec, { value, resolved: ++clock }),
        (e: Error) => Object.assign(rec, { error: e.name, resolved: ++clock }),
      )
      done.push(rec)
      reading.push(p)
      if (!together) await p
      if (i % 7 === 6) await new Promise((r) => setTimeout(r, 0))
    }
  })()
  await Promise.all([writer, reader])
  await Promise.all(reading)
  for (const d of done) check(d, states, commits)
  const stats = db.sharedReads()
  await db.close()
  return { reads: done.length, hits: stats.hits, misses: stats.misses }
}

function check(d: Done, states: State[], commits: Commit[]): void {
  const got = JSON.stringify(d.value)
  const show = () => `${JSON.stringify(d.r)}${d.snap ? ` at snapshot (state ${d.snap.c})` : ''} issued at ${d.issued}, resolved at ${d.resolved}, answered ${d.fast ? 'from shared memory' : 'by the worker'} ${d.error ?? got}`
  if (d.snap) {
    const s = d.snap
    if (d.error !== undefined) {
      if (d.error !== 'SnapshotNotFoundError' || s.dropIssued === undefined || s.dropIssued > d.resolved) throw new Error(`snapshot read failed before its drop: ${show()}`)
      return
    }
    if (s.dropResolved !== undefined && s.dropResolved < d.issued) throw new Error(`read of a dropped snapshot answered: ${show()}`)
    const want = JSON.stringify(project(states[s.c]!, d.r))
    if (got !== want) throw new Error(`snapshot read ${show()}; the snapshot holds ${want}`)
    return
  }
  if (d.error !== undefined) throw new Error(`read failed: ${show()}`)
  let lo = 0
  let hi = 0
  for (const c of commits) {
    if (c.resolved !== undefined && c.resolved < d.issued) lo = Math.max(lo, c.c)
    if (c.issued < d.resolved) hi = Math.max(hi, c.c)
  }
  for (let c = lo; c <= hi; c++) if (JSON.stringify(project(states[c]!, d.r)) === got) return
  const near = commits.filter((c) => c.c >= lo - 1 && c.c <= hi + 1).map((c) => `${c.c}: issued ${c.issued} resolved ${c.resolved}`).join(', ')
  throw new Error(`read ${show()}: no state from ${lo} to ${hi} held that (state ${lo}: ${JSON.stringify(project(states[lo]!, d.r))}; commits ${near})`)
}

/** The race property, `runs` runs from `seed`. */
async function raceProperty(seed: number, runs: number): Promise<{ ok: boolean; failure?: string; reads: number; hits: number; misses: number }> {
  const total = { reads: 0, hits: 0, misses: 0 }
  try {
    await fc.assert(
      fc.asyncProperty(runArb, async (run) => {
        const r = await race(run)
        total.reads += r.reads
        total.hits += r.hits
        total.misses += r.misses
      }),
      { seed, numRuns: runs, endOnFailure: true },
    )
    return { ok: true, ...total }
  } catch (e) {
    const cause = (e as Error).cause
    return { ok: false, failure: `seed ${seed}: ${cause instanceof Error ? cause.message : ''}\n${String((e as Error).message)}`, ...total }
  }
}

/**
 * The seqlock under real threads: a worker overwrites the entries of a tiny cache with 24 leaf
 * pages, round and round, while this thread reads them in a tight loop. Every read that is not a
 * MISS must return the value of the page it asked for; a torn read (bytes of two pages) or a
 * reused entry (another page's bytes) would show as a wrong value.
 */
async function seqlockStress(ms: number): Promise<{ ok: number; missed: number; wrong: number; written: number }> {
  const pageSize = 1024
  const layout = new Layout(pageSize)
  const keys = Array.from({ length: 20 }, (_, j) => encodeKey(j))
  const want = (id: number, j: number) => `page ${id} key ${j}`
  const pages: [number, Uint8Array][] = []
  for (let id = 1; id <= 24; id++) {
    const n = new Node(true, id, 1, 0)
    n.keys = keys
    n.vals = keys.map((_, j) => encodeValue(want(id, j)))
    const page = new Uint8Array(pageSize)
    encodeNode(n, page, layout, { writeChain: () => { throw new Error('no chains here') }, readChain: () => { throw new Error('no chains here') } })
    pages.push([id, page])
  }
  const buffer = createSharedCache(1, pageSize) // the smallest: two buckets of four
  const worker = new Worker(new URL('./seqlock-worker.ts', import.meta.url), { type: 'module' })
  const started = new Promise((r) => (worker.onmessage = r))
  worker.postMessage({ buffer, pages, ms: ms + 500 })
  await started
  const finished = new Promise<MessageEvent<number>>((r) => (worker.onmessage = r))
  const reader = new SharedCacheReader(buffer)
  const out = { ok: 0, missed: 0, wrong: 0, written: 0 }
  const end = performance.now() + ms
  for (let i = 0; performance.now() < end; ) {
    for (let n = 0; n < 1000; n++, i++) {
      const id = 1 + (i % 24)
      const j = (i * 7) % 20
      const v = readValue(reader, id, keys[j]!)
      if (v === MISS) out.missed++
      else if (v !== undefined && decoded(v) === want(id, j)) out.ok++
      else out.wrong++
    }
  }
  out.written = (await finished).data
  worker.terminate()
  return out
}

function decoded(bytes: Uint8Array): unknown {
  try {
    return decodeValue(bytes)
  } catch (e) {
    return e // torn bytes may not decode at all
  }
}

Object.assign(window, { raceProperty, seqlockStress, openDB })
document.body.textContent = 'ready'
