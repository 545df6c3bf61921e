// Crash and I/O-error schedules against the engine (fixed seed; the failing seed is printed).
// crash: the process dies at I/O call N; after restart the store must hold every acknowledged
// commit plus some prefix of the commits in flight (each whole or not at all), every
// acknowledged snapshot must read back as it was, and verify() must pass.
// error: I/O call N fails once; the engine must reject only what that call covered, keep going,
// and after a clean reopen hold exactly the acknowledged commits.
import { describe, expect, it } from 'vitest'
import { Database, type DatabaseOptions } from '../src/database.js'
import type { Op } from '../src/types.js'
import { FaultController, FaultyStorage } from './faults.js'
import { Model } from './model.js'
import { apply, contents, modelContents, play, prng, runSeeds, schedule, type Step } from './schedules.js'

const SEED = Number(process.env.COWDB_SEED ?? 5)
const SCHEDULES = Number(process.env.COWDB_SCHEDULES ?? 1500)
// a small largeCommitBytes sends bigger batches down the commit-by-checkpoint path too
const BASE = { pageSize: 512, checkpointDelayMs: 0, walCheckpointBytes: 4096, cacheBytes: 16 * 1024, largeCommitBytes: 1500 }
// odd seeds keep undo history too: every commit then also records a history entry
const openOptions = (seed: number) => (seed % 2 ? { ...BASE, retention: { keepLast: 4 } } : BASE)

/** A dry run of the schedule: how many I/O calls it makes (the range to crash or fail in). */
async function countCalls(options: DatabaseOptions, steps: Step[]): Promise<number> {
  const dry = new FaultController()
  const db = await Database.open(new FaultyStorage(dry, prng(1)), options)
  await play(db, steps)
  await db.close()
  return dry.calls
}

async function crashRun(seed: number): Promise<void> {
  const steps = schedule(prng(seed))
  const rand = prng(seed * 7 + 3)
  const options = openOptions(seed)
  const crashAt = 1 + Math.floor(rand() * (await countCalls(options, steps)))
  await crashAt_(steps, options, crashAt, rand, `seed ${seed}`)
}

/**
 * Plays `steps` until the process dies at I/O call `crashAt`, restarts on what the disk holds,
 * and checks: every acknowledged commit plus a prefix of those in flight, every acknowledged
 * snapshot as it was, verify() clean, and no reachable slot on the free list.
 */
async function crashAt_(steps: Step[], options: DatabaseOptions, crashAt: number, rand: () => number, label: string): Promise<void> {
  const ctl = new FaultController(crashAt)
  const storage = new FaultyStorage(ctl, rand)
  let played
  try {
    const db = await Database.open(storage, options)
    played = await play(db, steps)
  } catch {
    played = { acked: [], inFlight: [], snaps: [], error: undefined }
  }
  const { acked, inFlight, snaps } = played
  const after = await Database.open(storage.afterCrash(rand), options)
  try {
    const got = await contents(after)
    const model = new Model()
    for (const u of acked) apply(model, u)
    const candidates = [modelContents(model)]
    for (const u of inFlight) {
      apply(model, u)
      candidates.push(modelContents(model))
    }
    expect(candidates, `${label}: state after crash at call ${crashAt} is not acked + a prefix of in-flight`).toContain(got)
    for (const s of snaps) {
      const m = new Model()
      for (const u of acked.slice(0, s.upTo)) apply(m, u)
      expect(await contents(after, s.id), `${label}: snapshot ${s.id}`).toBe(modelContents(m))
    }
    const report = await after.verify()
    expect(report.errors, `${label}: verify after crash at call ${crashAt}`).toEqual([])
    expect((await after.space()).reachableButFree, `${label}: reachable slots on the free list after crash at call ${crashAt}`).toBe(0)
  } finally {
    await after.close()
  }
}

async function errorRun(seed: number): Promise<void> {
  const steps = schedule(prng(seed))
  const rand = prng(seed * 11 + 5)
  const options = openOptions(seed)
  const failAt = 1 + Math.floor(rand() * (await countCalls(options, steps)))
  await failAt_(steps, options, failAt, rand, `seed ${seed}`)
}

/**
 * Plays `steps` with I/O call `failAt` failing once, each step on its own past the failure; the
 * live state and a clean restart must hold exactly the acknowledged commits, verify() clean and
 * no reachable slot on the free list.
 */
async function failAt_(steps: Step[], options: DatabaseOptions, failAt: number, rand: () => number, label: string): Promise<void> {
  const ctl = new FaultController(Infinity, failAt)
  const storage = new FaultyStorage(ctl, rand)
  let db: Database
  try {
    db = await Database.open(storage, options)
  } catch {
    return // the failure hit open() itself: it reported it; nothing was acknowledged
  }
  // keep going past the failure: every step on its own
  const model = new Model()
  for (const s of steps) {
    const { acked } = await play(db, [s])
    for (const u of acked) apply(model, u)
  }
  expect(await contents(db), `${label}: live state after I/O error at call ${failAt}`).toBe(modelContents(model))
  expect((await db.space()).reachableButFree, `${label}: reachable slots on the free list after I/O error at call ${failAt}`).toBe(0)
  await db.close().catch(() => {})
  const again = await Database.open(storage.afterCrash(() => 0.99), options) // a clean restart: all flushed data kept
  try {
    expect(await contents(again), `${label}: after reopen (I/O error at call ${failAt})`).toBe(modelContents(model))
    expect((await again.verify()).errors).toEqual([])
    expect((await again.space()).reachableButFree).toBe(0)
  } finally {
    await again.close()
  }
}


// Compaction and deadlist frees, call by call. The setup leaves the live pages high in the file
// and the free slots low, with undo history on; the window then compacts (the same bounded
// steps the background runs: mark with a cut, switch every root to the copies, checkpoint,
// free the originals, cut the tail), commits while history entries go (their deadlist groups
// are freed and the slots reused), and compacts again. The process dies at every I/O call of
// the window in turn (three times, each with another fate for the unflushed writes), and each
// call fails once in turn.
const SWEEP_OPEN: DatabaseOptions = { ...BASE, retention: { keepLast: 3 } }
const puts = (from: number, n: number, v: string): Op[] => Array.from({ length: n }, (_, i) => ({ type: 'put', key: from + i, value: `${v}${from + i}`.repeat(3) }))
const SWEEP_SETUP: Step[] = [
  { kind: 'ops', ops: puts(0, 75, 'a'), burst: false },
  { kind: 'ops', ops: puts(75, 75, 'a'), burst: false },
  { kind: 'checkpoint' },
  { kind: 'ops', ops: puts(150, 75, 'b'), burst: false },
  { kind: 'ops', ops: puts(225, 75, 'b'), burst: false },
  { kind: 'checkpoint' },
  { kind: 'range', lo: 0, hi: 150 },
  ...Array.from({ length: 4 }, (_, i): Step => ({ kind: 'ops', ops: [{ type: 'put', key: 300 + i, value: i }], burst: false })),
  { kind: 'snapshot' },
  ...Array.from({ length: 6 }, (_, i): Step => ({ kind: 'ops', ops: puts(150 + i * 23, 2, `c${i}`), burst: false })),
  { kind: 'checkpoint' },
]
const SWEEP_WINDOW: Step[] = [
  { kind: 'compact' },
  ...Array.from({ length: 6 }, (_, i): Step => ({ kind: 'ops', ops: puts(160 + i * 19, 2, `d${i}`), burst: i % 2 === 1 })),
  { kind: 'checkpoint' },
  { kind: 'ops', ops: [{ type: 'delete', key: 200 }], burst: false },
  { kind: 'compact' },
  { kind: 'ops', ops: puts(0, 20, 'e'), burst: false },
  { kind: 'checkpoint' },
]

describe('crash and I/O errors at every call of compaction and deadlist frees', () => {
  it('keeps every acknowledged commit, with verify() clean and no reachable slot free', async () => {
    const before = await countCalls(SWEEP_OPEN, SWEEP_SETUP)
    const total = await countCalls(SWEEP_OPEN, [...SWEEP_SETUP, ...SWEEP_WINDOW])
    expect(total - before).toBeGreaterThan(40) // the window does real work (it moves 22 of 56 slots, 10 in deadlists)
    const steps = [...SWEEP_SETUP, ...SWEEP_WINDOW]
    for (let at = before + 1; at <= total; at++) {
      // three ways the unflushed writes of the moment may have landed (kept, dropped, torn)
      for (const variant of [1, 2, 3]) await crashAt_(steps, SWEEP_OPEN, at, prng(at * 10 + variant), `compaction sweep (variant ${variant})`)
      await failAt_(steps, SWEEP_OPEN, at, prng(at), `compaction sweep`)
    }
  }, 600_000)
})

describe('crash and I/O-error schedules', () => {
  it(`${SCHEDULES} crash schedules keep every acknowledged commit (seed ${SEED})`, async () => {
    await runSeeds(SEED * 100_000, SCHEDULES, crashRun)
  }, 600_000)

  it(`${Math.floor(SCHEDULES / 2)} I/O-error schedules lose nothing acknowledged and stay usable (seed ${SEED})`, async () => {
    await runSeeds(SEED * 100_000, Math.floor(SCHEDULES / 2), errorRun)
  }, 600_000)
})
