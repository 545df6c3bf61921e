// The core crash and I/O-error schedules (packages/core/test/schedules.ts) against the
// IndexedDB page store (fake-indexeddb): each batch transaction is one I/O call.
// crash: the worker dies at batch N (that transaction commits or not, whole; nothing after it
// runs). Reopened, the store must hold every acknowledged commit plus a prefix of those in
// flight, every acknowledged snapshot as it was, and pass verify().
// error: batch N fails once; the calls waiting on it reject, the engine reopens from what
// IndexedDB holds and goes on; its contents, live and after a reopen, are the acknowledged
// commits plus a prefix of the rejected ones (see errorRun).
import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { IOError, type Database } from '@cowdb/core'
import { Model } from '../../core/test/model.js'
import { apply, contents, modelContents, play, prng, runSeeds, schedule, type Step } from '../../core/test/schedules.js'
import { openEngine } from '../src/engine.js'

const SEED = Number(process.env.COWDB_SEED ?? 5)
const SCHEDULES = Number(process.env.COWDB_IDB_SCHEDULES ?? 150)
const BASE = { pageSize: 512, checkpointDelayMs: 0, walCheckpointBytes: 4096, cacheBytes: 16 * 1024, largeCommitBytes: 1500, store: 'indexeddb' as const }
const openOptions = (seed: number) => (seed % 2 ? { ...BASE, retention: { keepLast: 4 } } : BASE)

class CrashSignal extends IOError {}

/** Counts batch writes; crashes at one (it lands or not, at random) or fails one. */
class BatchFaults {
  calls = 0
  crashed = false
  constructor(
    readonly crashAt = Infinity,
    readonly failAt = Infinity,
    readonly rand: () => number = Math.random,
  ) {}
  io = async (write: () => Promise<void>): Promise<void> => {
    if (this.crashed) throw new CrashSignal('crashed (a batch after the crash)')
    this.calls++
    if (this.calls === this.crashAt) {
      this.crashed = true
      if (this.rand() < 0.5) await write()
      throw new CrashSignal('crash during a batch')
    }
    if (this.calls === this.failAt) throw new IOError(`injected failure of batch ${this.calls}`)
    await write()
  }
}

const open = (name: string, seed: number, faults?: BatchFaults): Promise<Database> => openEngine(name, openOptions(seed), faults ? { idb: { io: faults.io } } : {})

async function countCalls(seed: number, steps: Step[]): Promise<number> {
  const dry = new BatchFaults()
  const db = await open(`dry-${seed}`, seed, dry)
  await play(db, steps)
  await db.close()
  return dry.calls
}

async function crashRun(seed: number): Promise<void> {
  const steps = schedule(prng(seed))
  const rand = prng(seed * 7 + 3)
  const crashAt = 1 + Math.floor(rand() * (await countCalls(seed, steps)))
  const faults = new BatchFaults(crashAt, Infinity, rand)
  const name = `crash-${seed}`
  let played
  try {
    played = await play(await open(name, seed, faults), steps)
  } catch {
    played = { acked: [], inFlight: [], snaps: [] }
  }
  faults.crashed = true // the worker is gone: nothing more reaches IndexedDB from it
  const { acked, inFlight, snaps } = played
  const after = await open(name, seed)
  try {
    const got = await contents(after)
    const model = new Model()
    for (const u of acked) apply(model, u)
    const candidates = [modelContents(model)]
    for (const u of inFlight) {
      apply(model, u)
      candidates.push(modelContents(model))
    }
    expect(candidates, `seed ${seed}: state after a crash at batch ${crashAt} is not acked + a prefix of in-flight`).toContain(got)
    for (const s of snaps) {
      const m = new Model()
      for (const u of acked.slice(0, s.upTo)) apply(m, u)
      expect(await contents(after, s.id), `seed ${seed}: snapshot ${s.id}`).toBe(modelContents(m))
    }
    expect((await after.verify()).errors, `seed ${seed}: verify`).toEqual([])
  } finally {
    await after.close()
  }
}

async function errorRun(seed: number): Promise<void> {
  const steps = schedule(prng(seed))
  const rand = prng(seed * 11 + 5)
  const failAt = 1 + Math.floor(rand() * (await countCalls(seed, steps)))
  const name = `error-${seed}`
  let db: Database
  try {
    db = await open(name, seed, new BatchFaults(Infinity, failAt))
  } catch {
    return // the failure hit open() itself: it reported it; nothing was acknowledged
  }
  // A failed batch is a crash of the engine followed by a restart from IndexedDB: of the calls
  // it rejected, a prefix (in call order) may have landed in earlier batches. Every candidate
  // state is followed through the later steps.
  let models = [new Model()]
  for (const s of steps) {
    const { acked, inFlight } = await play(db, [s])
    // a call acknowledged after one that was rejected would have seen the failure too: acked first
    for (const m of models) for (const u of acked) apply(m, u)
    if (inFlight.length) {
      models = models.flatMap((m) =>
        Array.from({ length: inFlight.length + 1 }, (_, n) => {
          const c = new Model()
          c.head = new Map(m.head)
          for (const u of inFlight.slice(0, n)) apply(c, u)
          return c
        }),
      )
    }
  }
  const candidates = models.map(modelContents)
  const live = await contents(db)
  expect(candidates, `seed ${seed}: live state after batch ${failAt} failed`).toContain(live)
  await db.close().catch(() => {}) // its last checkpoint may be the batch that fails
  const again = await open(name, seed)
  try {
    expect(await contents(again), `seed ${seed}: after reopen`).toBe(live)
    expect((await again.verify()).errors).toEqual([])
  } finally {
    await again.close()
  }
}


describe('IndexedDB page store: crash and I/O-error schedules', () => {
  it(`${SCHEDULES} crash schedules keep every acknowledged commit (seed ${SEED})`, async () => {
    await runSeeds(SEED * 100_000, SCHEDULES, crashRun)
  }, 600_000)

  it(`${Math.floor(SCHEDULES / 2)} batch-failure schedules lose nothing acknowledged and stay usable (seed ${SEED})`, async () => {
    await runSeeds(SEED * 100_000, Math.floor(SCHEDULES / 2), errorRun)
  }, 600_000)
})
