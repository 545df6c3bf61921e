// Crash and I/O-error schedules against the engine (fixed seed; the failing seed is printed).
// crash: the process dies at I/O call N; after restart the store must hold every acknowledged
// commit plus some prefix of the commits in flight (each whole or not at all), every
// acknowledged snapshot must read back as it was, and verify() must pass.
// error: I/O call N fails once; the engine must reject only what that call covered, keep going,
// and after a clean reopen hold exactly the acknowledged commits.
import { describe, expect, it } from 'vitest'
import { Database } from '../src/database.js'
import { FaultController, FaultyStorage } from './faults.js'
import { Model } from './model.js'
import { apply, contents, modelContents, play, prng, schedule, type Step } from './schedules.js'

const SEED = Number(process.env.COWDB_SEED ?? 5)
const SCHEDULES = Number(process.env.COWDB_SCHEDULES ?? 1500)
// a small largeCommitBytes sends bigger batches down the commit-by-checkpoint path too
const BASE = { pageSize: 512, checkpointDelayMs: 0, walCheckpointBytes: 4096, cacheBytes: 16 * 1024, largeCommitBytes: 1500 }
// odd seeds keep undo history too: every commit then also records a history entry
const openOptions = (seed: number) => (seed % 2 ? { ...BASE, retention: { keepLast: 4 } } : BASE)

/** A dry run of the schedule: how many I/O calls it makes (the range to crash or fail in). */
async function countCalls(seed: number, steps: Step[]): Promise<number> {
  const dry = new FaultController()
  const db = await Database.open(new FaultyStorage(dry, prng(seed + 1)), openOptions(seed))
  await play(db, steps)
  await db.close()
  return dry.calls
}

async function crashRun(seed: number): Promise<void> {
  const steps = schedule(prng(seed))
  const rand = prng(seed * 7 + 3)
  const crashAt = 1 + Math.floor(rand() * (await countCalls(seed, steps)))
  const ctl = new FaultController(crashAt)
  const storage = new FaultyStorage(ctl, rand)
  let played
  try {
    const db = await Database.open(storage, openOptions(seed))
    played = await play(db, steps)
  } catch {
    played = { acked: [], inFlight: [], snaps: [], error: undefined }
  }
  const { acked, inFlight, snaps } = played
  const after = await Database.open(storage.afterCrash(rand), openOptions(seed))
  try {
    const got = await contents(after)
    const model = new Model()
    for (const u of acked) apply(model, u)
    const candidates = [modelContents(model)]
    for (const u of inFlight) {
      apply(model, u)
      candidates.push(modelContents(model))
    }
    expect(candidates, `seed ${seed}: state after crash at call ${crashAt} is not acked + a prefix of in-flight`).toContain(got)
    for (const s of snaps) {
      const m = new Model()
      for (const u of acked.slice(0, s.upTo)) apply(m, u)
      expect(await contents(after, s.id), `seed ${seed}: snapshot ${s.id}`).toBe(modelContents(m))
    }
    const report = await after.verify()
    expect(report.errors, `seed ${seed}: verify`).toEqual([])
  } finally {
    await after.close()
  }
}

async function errorRun(seed: number): Promise<void> {
  const steps = schedule(prng(seed))
  const rand = prng(seed * 11 + 5)
  const failAt = 1 + Math.floor(rand() * (await countCalls(seed, steps)))
  const ctl = new FaultController(Infinity, failAt)
  const storage = new FaultyStorage(ctl, rand)
  let db: Database
  try {
    db = await Database.open(storage, openOptions(seed))
  } catch {
    return // the failure hit open() itself: it reported it; nothing was acknowledged
  }
  // keep going past the failure: every step on its own
  const model = new Model()
  for (const s of steps) {
    const { acked } = await play(db, [s])
    for (const u of acked) apply(model, u)
  }
  expect(await contents(db), `seed ${seed}: live state after I/O error at call ${failAt}`).toBe(modelContents(model))
  await db.close().catch(() => {})
  const again = await Database.open(storage.afterCrash(() => 0.99), openOptions(seed)) // a clean restart: all flushed data kept
  try {
    expect(await contents(again), `seed ${seed}: after reopen`).toBe(modelContents(model))
    expect((await again.verify()).errors).toEqual([])
  } finally {
    await again.close()
  }
}

/** Runs schedules SEED*100000 + i; COWDB_SCHEDULE=<full seed> replays one. Errors name their seed. */
async function runAll(count: number, run: (seed: number) => Promise<void>): Promise<void> {
  const one = process.env.COWDB_SCHEDULE
  const seeds = one ? [Number(one)] : Array.from({ length: count }, (_, i) => SEED * 100_000 + i)
  for (const seed of seeds) {
    try {
      await run(seed)
    } catch (e) {
      if (e instanceof Error && !e.message.includes(`seed ${seed}`)) e.message = `seed ${seed} (replay: COWDB_SCHEDULE=${seed}): ${e.message}`
      throw e
    }
  }
}

describe('crash and I/O-error schedules', () => {
  it(`${SCHEDULES} crash schedules keep every acknowledged commit (seed ${SEED})`, async () => {
    await runAll(SCHEDULES, crashRun)
  }, 600_000)

  it(`${Math.floor(SCHEDULES / 2)} I/O-error schedules lose nothing acknowledged and stay usable (seed ${SEED})`, async () => {
    await runAll(Math.floor(SCHEDULES / 2), errorRun)
  }, 600_000)
})
