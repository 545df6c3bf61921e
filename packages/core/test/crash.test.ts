// Crash and I/O-error schedules against the engine (fixed seed; the failing seed is printed).
// crash: the process dies at I/O call N; after restart the store must hold every acknowledged
// commit plus some prefix of the commits in flight (each whole or not at all), every
// acknowledged snapshot must read back as it was, and verify() must pass.
// error: I/O call N fails once; the engine must reject only what that call covered, keep going,
// and after a clean reopen hold exactly the acknowledged commits.
import { describe, expect, it } from 'vitest'
import { Database } from '../src/database.js'
import type { Key, Op } from '../src/types.js'
import { FaultController, FaultyStorage, prng } from './faults.js'
import { Model, modelKey } from './model.js'

const SEED = Number(process.env.COWDB_SEED ?? 5)
const SCHEDULES = Number(process.env.COWDB_SCHEDULES ?? 1500)
// a small largeCommitBytes sends bigger batches down the commit-by-checkpoint path too
const BASE = { pageSize: 512, checkpointDelayMs: 0, walCheckpointBytes: 4096, cacheBytes: 16 * 1024, largeCommitBytes: 1500 }
// odd seeds keep undo history too: every commit then also records a history entry
const openOptions = (seed: number) => (seed % 2 ? { ...BASE, retention: { keepLast: 4 } } : BASE)

type Step = { kind: 'ops'; ops: Op[]; burst: boolean } | { kind: 'snapshot' } | { kind: 'checkpoint' } | { kind: 'compact' } | { kind: 'range'; lo: number; hi: number }

function schedule(rand: () => number): Step[] {
  const steps: Step[] = []
  const value = () => (rand() < 0.1 ? 'big'.repeat(300 + Math.floor(rand() * 400)) : { v: Math.floor(rand() * 1000) })
  const op = (): Op => (rand() < 0.8 ? { type: 'put', key: Math.floor(rand() * 150), value: value() } : { type: 'delete', key: Math.floor(rand() * 150) })
  const n = 20 + Math.floor(rand() * 40)
  for (let i = 0; i < n; i++) {
    const r = rand()
    if (r < 0.55) steps.push({ kind: 'ops', ops: [op()], burst: false })
    else if (r < 0.65) steps.push({ kind: 'ops', ops: Array.from({ length: 1 + Math.floor(rand() * 10) }, op), burst: false })
    else if (r < 0.77) steps.push({ kind: 'ops', ops: Array.from({ length: 2 + Math.floor(rand() * 20) }, op), burst: true })
    else if (r < 0.85) steps.push({ kind: 'snapshot' })
    else if (r < 0.93) steps.push({ kind: 'checkpoint' })
    else if (r < 0.95) steps.push({ kind: 'compact' })
    else {
      const lo = Math.floor(rand() * 150)
      steps.push({ kind: 'range', lo, hi: lo + Math.floor(rand() * 30) })
    }
  }
  return steps
}

type Unit = { ops: Op[] | null; range?: [number, number] } // one commit
const apply = (m: Model, u: Unit) => {
  if (u.range) m.deleteRange({ gte: u.range[0], lt: u.range[1] })
  else for (const o of u.ops!) o.type === 'put' ? m.put(o.key, o.value) : m.delete(o.key)
}

/** Runs a schedule; returns acknowledged commits in order, the commits in flight, and snapshots. */
async function play(db: Database, steps: Step[]) {
  const acked: Unit[] = []
  const inFlight: Unit[] = []
  const snaps: { id: string; upTo: number }[] = []
  for (const s of steps) {
    try {
      if (s.kind === 'ops' && s.burst) {
        const units = s.ops.map((o) => ({ ops: [o] }))
        const results = await Promise.allSettled(units.map((u) => db.batch(u.ops)))
        results.forEach((r, i) => (r.status === 'fulfilled' ? acked.push(units[i]!) : inFlight.push(units[i]!)))
        if (results.some((r) => r.status === 'rejected')) throw (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason
      } else if (s.kind === 'ops') {
        const u = { ops: s.ops }
        inFlight.push(u)
        await db.batch(s.ops)
        acked.push(inFlight.pop()!)
      } else if (s.kind === 'range') {
        const u: Unit = { ops: null, range: [s.lo, s.hi] }
        inFlight.push(u)
        await db.deleteRange({ gte: s.lo, lt: s.hi })
        acked.push(inFlight.pop()!)
      } else if (s.kind === 'snapshot') {
        const info = await db.snapshot()
        snaps.push({ id: info.id, upTo: acked.length })
      } else if (s.kind === 'compact') await db.compact()
      else await db.checkpoint()
    } catch (e) {
      return { acked, inFlight, snaps, error: e as Error }
    }
  }
  return { acked, inFlight, snaps, error: undefined }
}

async function contents(db: Database, snapshot?: string): Promise<string> {
  return JSON.stringify((await db.scan({ limit: 1e9, snapshot })).map(([k, v]) => [modelKey(k as Key), v]))
}
const modelContents = (m: Model) => JSON.stringify(m.scan({ limit: 1e9 }).map(([k, v]) => [modelKey(k), v]))

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
