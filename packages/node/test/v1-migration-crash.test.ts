// The migration of a format-1 fixture store under a crash at EVERY I/O call it makes (and under
// a failing I/O call at every one): the fixture's files go into the fault-injecting storage of
// core's crash tests (faults.ts), the open that migrates dies at call N, and what the disk then
// holds (flushed bytes, plus each unflushed write kept, dropped or torn, a Meta save landed or
// not) must open as format 2 with exactly EXPECTED.json's contents, every time: never a half
// migrated store. Fixed seeds; the failing call and seed are named.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Database, IOError, type Storage } from '@cowdb/core'
import { CrashSignal, FaultController, FaultyStorage } from '../../core/test/faults.js'
import { FileMetaStore } from '../src/meta-file.js'
import { E, branchRows, dir, expectedSnapshotRows, got, snapshotRows, want, type StoreExpected } from './fixtures/expected.js'

const SEEDS = Number(process.env.COWDB_SEEDS ?? 2)

function prng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), s | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** Fault-injecting storage holding fixture store `name` as format 1 left it on disk. */
async function fixtureIn(name: string, ctl: FaultController, rand: () => number): Promise<FaultyStorage> {
  const s = new FaultyStorage(ctl, rand)
  s.pages.preload(new Uint8Array(readFileSync(join(dir, name, 'pages'))))
  s.wal.preload(new Uint8Array(readFileSync(join(dir, name, 'wal'))))
  s.meta.durable = await new FileMetaStore(join(dir, name)).load() // reads meta-a/meta-b, writes nothing
  expect(s.meta.durable!.version).toBe(1)
  return s
}

/** The store reads back exactly as EXPECTED.json says, and verifies. */
async function expectContents(db: Database, store: StoreExpected, where: string): Promise<void> {
  expect(await branchRows(db), where).toEqual(store.branches)
  expect(await snapshotRows(db), where).toEqual(expectedSnapshotRows(store))
  expect(await db.getRetention(), where).toEqual(store.retention)
  for (const [branch, entries] of Object.entries(store.heads)) expect(await got(db, { branch }), `${where}: head ${branch}`).toEqual(want(entries))
  for (const s of store.snapshots) expect(await got(db, { snapshot: s.id }), `${where}: snapshot ${s.id}`).toEqual(want(s.entries))
  expect((await db.verify()).errors, where).toEqual([])
  const space = await db.space()
  expect({ leaked: space.leaked, reachableButFree: space.reachableButFree }, where).toEqual({ leaked: 0, reachableButFree: 0 })
}

/** I/O calls (writes, flushes, truncates, Meta saves) an open that migrates `name` makes. */
async function migrationCalls(name: string): Promise<number> {
  const ctl = new FaultController()
  const db = await Database.open(await fixtureIn(name, ctl, prng(1)), { checkpointDelayMs: 0 })
  const calls = ctl.calls
  await db.close()
  return calls
}

describe.each(Object.entries(E.stores))('migrating v1 store %s', (name, store) => {
  it(`a crash at every I/O call of the migration leaves format 1 or format 2, never half (${SEEDS} disk outcomes each)`, async () => {
    const calls = await migrationCalls(name)
    expect(calls).toBeGreaterThan(2) // page writes, a flush, the Meta save at least
    const outcomes = { format1: 0, format2: 0 }
    for (let at = 1; at <= calls; at++) {
      for (let seed = 1; seed <= SEEDS; seed++) {
        const where = `${name}: crash at I/O call ${at} of ${calls}, seed ${seed}`
        const rand = prng(at * 1000 + seed)
        const ctl = new FaultController(at)
        // a crash in the Meta save: odd seeds find the save landed, even ones not
        const storage = await fixtureIn(name, ctl, () => (seed % 2 ? 0.1 : 0.9))
        await expect(Database.open(storage, { checkpointDelayMs: 0 }), where).rejects.toThrow(CrashSignal)
        const disk: Storage = storage.afterCrash(rand)
        const found = (await disk.meta.load())!
        outcomes[found.version === 1 ? 'format1' : 'format2']++
        const db = await Database.open(disk, { checkpointDelayMs: 0 })
        try {
          expect((await disk.meta.load())!.version, where).toBe(2)
          await expectContents(db, store, where)
        } finally {
          await db.close()
        }
      }
    }
    // both sides of the switch were hit: crashes before the Meta save, and in it with the save landed
    expect(outcomes.format1).toBeGreaterThan(0)
    expect(outcomes.format2).toBeGreaterThan(0)
    console.log(`${name}: ${calls} I/O calls, ${calls * SEEDS} crashes: ${outcomes.format1} left format 1, ${outcomes.format2} format 2`)
  }, 600_000)

  it('a failing I/O call anywhere in the migration fails the open and leaves format 1, which the next open migrates', async () => {
    const calls = await migrationCalls(name)
    for (let at = 1; at <= calls; at++) {
      const where = `${name}: I/O error at call ${at} of ${calls}`
      const storage = await fixtureIn(name, new FaultController(Infinity, at), prng(at))
      await expect(Database.open(storage, { checkpointDelayMs: 0 }), where).rejects.toThrow(IOError)
      expect(storage.meta.durable!.version, where).toBe(1)
      const db = await Database.open(storage.afterCrash(() => 0.99), { checkpointDelayMs: 0 }) // a clean restart: flushed data kept
      try {
        await expectContents(db, store, where)
      } finally {
        await db.close()
      }
    }
  }, 600_000)
})
