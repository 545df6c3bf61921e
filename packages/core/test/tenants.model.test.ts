// Tenants against a model, and under crashes.
//
// Model: several tenants interleave writes, snapshots, restores, undo/redo, clones (at a head
// or at any snapshot of theirs, history entries included), retention changes (their own and the
// database's), drops, checkpoints and reopens, checked against one model per tenant that keeps a
// whole copy of every state. Every read of every tenant, snapshot and history entry agrees; no
// tenant lists or restores another's snapshots; after EVERY step no slot that a root reaches is
// on the free list; after each drop, once the background gc has run (no gc() call), no slot is
// leaked; and when every tenant is gone, nothing is live at all.
//
// Crash schedules: the process dies at I/O call N of a schedule of tenant operations (creates,
// clones, drops, writes, bursts across tenants sharing one flush, snapshots, restores, retention,
// checkpoints, compaction). After restart the store must be the acknowledged operations plus a
// prefix of those in flight, every acknowledged snapshot must read back through its tenant,
// verify() must pass and no reachable slot may be free. Seeds are fixed; a failure names its seed.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Database } from '../src/database.js'
import { SnapshotNotFoundError } from '../src/errors.js'
import { MemoryStorage } from '../src/memory-store.js'
import type { Key } from '../src/types.js'
import { FaultController, FaultyStorage, prng } from './faults.js'
import { Model, modelKey, type Entries } from './model.js'
import { runSeeds } from './schedules.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261201)
const RUNS = Number(process.env.COWDB_RUNS ?? 20)
const SCHEDULES = Number(process.env.COWDB_SCHEDULES ?? 300)
const NAMES = ['t0', 't1', 't2', 't3']

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const text = (e: Entries) => {
  const m = new Model()
  m.head = e
  return JSON.stringify(m.scan({ limit: 1e9 }).map(([k, v]) => [modelKey(k), v]))
}
async function contents(db: Database, branch: string, snapshot?: string): Promise<string> {
  return JSON.stringify((await db.scan({ branch, snapshot, limit: 1e9 })).map(([k, v]) => [modelKey(k as Key), v]))
}

// ---- the model test ------------------------------------------------------------------------------

type Cmd =
  | { t: 'create'; n: number; keepLast: number | null }
  | { t: 'clone'; src: number; n: number; i: number; cp: boolean }
  | { t: 'drop'; n: number }
  | { t: 'put'; n: number; k: number; v: string }
  | { t: 'del'; n: number; k: number }
  | { t: 'bulk'; n: number; count: number; seed: number }
  | { t: 'range'; n: number; lo: number; len: number }
  | { t: 'snap'; n: number }
  | { t: 'dropSnap'; n: number; i: number }
  | { t: 'restore'; n: number; i: number }
  | { t: 'undo' | 'redo'; n: number }
  | { t: 'retention'; n: number; keepLast: number }
  | { t: 'defaultRetention'; keepLast: number }
  | { t: 'cross'; n: number; other: number; i: number }
  | { t: 'checkpoint' }
  | { t: 'reopen' }

const n = fc.integer({ min: 0, max: NAMES.length - 1 })
const keep = fc.constantFrom(0, 1, 3, 6)
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('create' as const), n, keepLast: fc.option(keep, { nil: null }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('clone' as const), src: n, n, i: fc.integer({ min: -1, max: 12 }), cp: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('drop' as const), n }) },
  { weight: 14, arbitrary: fc.record({ t: fc.constant('put' as const), n, k: fc.integer({ min: 0, max: 200 }), v: fc.string({ maxLength: 30 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('del' as const), n, k: fc.integer({ min: 0, max: 200 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('bulk' as const), n, count: fc.integer({ min: 10, max: 120 }), seed: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('range' as const), n, lo: fc.integer({ min: 0, max: 200 }), len: fc.integer({ min: 1, max: 60 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('snap' as const), n }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('dropSnap' as const), n, i: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('restore' as const), n, i: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('undo' as const), n }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('redo' as const), n }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('retention' as const), n, keepLast: keep }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('defaultRetention' as const), keepLast: keep }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('cross' as const), n, other: n, i: fc.nat() }) },
  { weight: 5, arbitrary: fc.constant({ t: 'checkpoint' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'reopen' as const }) },
)

/** One tenant in the model: its state, its history of whole copies, its own retention (null: the database's), its named snapshots. */
type MTenant = { model: Model; history: Entries[]; cursor: number; own: number | null; named: string[] }

// background checkpoints and gc on (a short delay): drops are collected without gc()
const OPEN = { pageSize: 512, checkpointDelayMs: 2, walCheckpointBytes: 16 * 1024, cacheBytes: 32 * 1024, largeCommitBytes: 6_000 }

async function run(cmds: Cmd[], keep0: number): Promise<void> {
  const storage = new MemoryStorage()
  let db = await Database.open(storage, { ...OPEN, retention: { keepLast: keep0 } })
  let keepDefault = keep0
  const tenants = new Map<string, MTenant>()
  const snaps = new Map<string, { tenant: string; entries: Entries }>()
  const keepOf = (t: MTenant) => t.own ?? keepDefault

  /** A commit on tenant `name`, with its history as the engine keeps it. */
  const commit = (name: string, change: (m: Model) => void) => {
    const t = tenants.get(name)!
    const before = new Map(t.model.head)
    change(t.model)
    const keepLast = keepOf(t)
    if (keepLast === 0) return
    t.history.splice(t.cursor + 1)
    if (!t.history.length) t.history.push(before)
    t.history.push(new Map(t.model.head))
    t.history.splice(0, Math.max(0, t.history.length - keepLast))
    t.cursor = t.history.length - 1
  }
  const clearHistory = (t: MTenant) => {
    t.history = []
    t.cursor = -1
  }
  /** The tenant's history entry ids from the engine, oldest first, paired with the model's copies. */
  const historyIds = async (name: string) => (await db.tenant(name).snapshots()).filter((s) => s.kind === 'history').map((s) => s.id)

  const checkAll = async (when: string) => {
    expect((await db.tenants()).map((t) => t.name), when).toEqual([...tenants.keys()].sort())
    expect((await db.branches()).map((b) => b.name), when).toEqual(['main'])
    expect(await db.snapshots(), `${when}: main lists no tenant snapshot`).toEqual([])
    for (const info of await db.tenants()) {
      const t = tenants.get(info.name)!
      expect(await contents(db, info.name), `${when}: tenant ${info.name}`).toBe(text(t.model.head))
      expect({ undoable: info.undoable, redoable: info.redoable, own: info.ownRetention, keepLast: info.retention.keepLast }, `${when}: ${info.name}`).toEqual({
        undoable: Math.max(0, t.cursor),
        redoable: t.cursor < 0 ? 0 : t.history.length - 1 - t.cursor,
        own: t.own !== null,
        keepLast: keepOf(t),
      })
      const listed = await db.tenant(info.name).snapshots()
      expect(listed.every((s) => s.branch === info.name), `${when}: ${info.name} lists only its own`).toBe(true)
      expect(listed.filter((s) => s.kind === 'named').map((s) => s.id).sort(), `${when}: ${info.name} named`).toEqual([...t.named].sort())
      const ids = listed.filter((s) => s.kind === 'history').map((s) => s.id)
      expect(ids.length, `${when}: ${info.name} history`).toBe(t.history.length)
      for (const [i, id] of ids.entries()) expect(await contents(db, info.name, id), `${when}: ${info.name} history ${i}`).toBe(text(t.history[i]!))
      for (const id of t.named) expect(await contents(db, info.name, id), `${when}: ${info.name} snapshot ${id}`).toBe(text(snaps.get(id)!.entries))
    }
  }

  /** After a drop: the background gc (never gc()) runs and leaves no slot leaked. */
  const settle = async (when: string, runs: number) => {
    let space = await db.space()
    for (let i = 0; i < 2000 && ((await db.stats()).gcRuns as number) <= runs; i++) await sleep(2)
    for (let i = 0; i < 200 && (space = await db.space()).leaked > 0; i++) await sleep(2) // a gc may still be marking
    expect({ leaked: space.leaked, reachableButFree: space.reachableButFree }, `${when}: slots once the background gc ran`).toEqual({ leaked: 0, reachableButFree: 0 })
    return space
  }

  try {
    // two tenants from the start, one with its own retention; the commands make and drop more
    for (const [name, own] of [['t0', null], ['t1', 2]] as const) {
      await db.createTenant(name, own === null ? {} : { retention: { keepLast: own } })
      tenants.set(name, { model: new Model(), history: [], cursor: -1, own, named: [] })
    }
    for (const [step, c] of cmds.entries()) {
      const when = `step ${step} ${JSON.stringify(c)}`
      const name = 'n' in c ? NAMES[c.n]! : ''
      const t = tenants.get(name)
      const view = db.tenant(name || 'x')
      switch (c.t) {
        case 'create':
          if (t) {
            await expect(db.createTenant(name), when).rejects.toThrow(TypeError)
            break
          }
          await db.createTenant(name, c.keepLast === null ? {} : { retention: { keepLast: c.keepLast } })
          tenants.set(name, { model: new Model(), history: [], cursor: -1, own: c.keepLast, named: [] })
          break
        case 'clone': {
          const src = tenants.get(NAMES[c.src]!)
          if (!src || t) {
            await expect(db.createTenant(name, { from: { tenant: NAMES[c.src]! } }), when).rejects.toThrow(!src && !t ? SnapshotNotFoundError : TypeError)
            break
          }
          // at its head (i < 0), or at any of its snapshots: named ones, then history entries
          const hist = await historyIds(NAMES[c.src]!)
          const all = [...src.named.map((id) => ({ id, entries: snaps.get(id)!.entries })), ...hist.map((id, j) => ({ id, entries: src.history[j]! }))]
          const at = c.i < 0 || !all.length ? undefined : all[c.i % all.length]!
          // after a checkpoint, the origin's snapshots hold pages in its deadlists: the clone must keep them alive
          if (c.cp) await db.checkpoint()
          await db.tenant(NAMES[c.src]!).clone(name, at ? { snapshot: at.id } : {})
          const m = new Model()
          m.head = new Map(at ? at.entries : src.model.head)
          tenants.set(name, { model: m, history: [], cursor: -1, own: null, named: [] })
          break
        }
        case 'drop': {
          if (!t) break
          const runs = (await db.stats()).gcRuns as number
          await db.dropTenant(name)
          tenants.delete(name)
          for (const id of t.named) snaps.delete(id)
          await settle(when, runs)
          break
        }
        case 'put':
          if (!t) break
          await view.put(c.k, c.v)
          commit(name, (m) => m.put(c.k, c.v))
          break
        case 'del':
          if (!t) break
          await view.delete(c.k)
          commit(name, (m) => m.delete(c.k))
          break
        case 'bulk': {
          if (!t) break
          // un-awaited commits in one tick, on this tenant and the next one: one flush
          const other = NAMES.map((x) => x).find((x) => x !== name && tenants.has(x))
          const ps: Promise<unknown>[] = []
          for (let j = 0; j < c.count; j++) {
            const target = other !== undefined && j % 3 === 2 ? other : name
            const k = (c.seed + j * 37) % 200
            ps.push(db.put(k, `${c.seed}:${j}`, { branch: target }))
            commit(target, (m) => m.put(k, `${c.seed}:${j}`))
          }
          await Promise.all(ps)
          break
        }
        case 'range':
          if (!t) break
          await view.deleteRange({ gte: c.lo, lt: c.lo + c.len })
          commit(name, (m) => m.deleteRange({ gte: c.lo, lt: c.lo + c.len }))
          break
        case 'snap': {
          if (!t) break
          const s = await view.snapshot()
          snaps.set(s.id, { tenant: name, entries: new Map(t.model.head) })
          t.named.push(s.id)
          break
        }
        case 'dropSnap': {
          if (!t || !t.named.length) break
          const id = t.named.splice(c.i % t.named.length, 1)[0]!
          await view.dropSnapshot(id)
          snaps.delete(id)
          break
        }
        case 'restore': {
          if (!t || !t.named.length) break
          const id = t.named[c.i % t.named.length]!
          await view.restore(id)
          commit(name, (m) => (m.head = new Map(snaps.get(id)!.entries)))
          break
        }
        case 'undo':
        case 'redo': {
          if (!t) break
          const got = c.t === 'undo' ? await view.undo() : await view.redo()
          const to = t.cursor + (c.t === 'undo' ? -1 : 1)
          const can = t.cursor >= 0 && to >= 0 && to < t.history.length
          expect(got === null, `${when}: ${c.t} possible`).toBe(!can)
          if (can) {
            t.cursor = to
            t.model.head = new Map(t.history[to]!)
          }
          break
        }
        case 'retention':
          if (!t) break
          await view.setRetention({ keepLast: c.keepLast })
          t.own = c.keepLast
          if (c.keepLast === 0) clearHistory(t)
          break
        case 'defaultRetention':
          await db.setRetention({ keepLast: c.keepLast })
          keepDefault = c.keepLast
          if (c.keepLast === 0) for (const x of tenants.values()) if (x.own === null) clearHistory(x)
          break
        case 'cross': {
          // another tenant's snapshot: never listed, read, diffed or restored here, and nothing changes
          const other = tenants.get(NAMES[c.other]!)
          if (!t || !other || other === t || !other.named.length) break
          const id = other.named[c.i % other.named.length]!
          await expect(view.restore(id), when).rejects.toThrow(SnapshotNotFoundError)
          await expect(view.get(0, { snapshot: id }), when).rejects.toThrow(SnapshotNotFoundError)
          await expect(view.diff(id), when).rejects.toThrow(SnapshotNotFoundError)
          await expect(db.get(0, { snapshot: id }), `${when}: main`).rejects.toThrow(SnapshotNotFoundError)
          expect((await view.snapshots()).some((s) => s.id === id), when).toBe(false)
          break
        }
        case 'checkpoint':
          await db.checkpoint()
          break
        case 'reopen':
          await db.close()
          db = await Database.open(storage.reopen(), OPEN)
          break
      }
      // never, at any step, a slot that some root reaches on the free list
      expect((await db.space()).reachableButFree, `${when}: reachable slots on the free list`).toBe(0)
      if (step % 8 === 7) await checkAll(when)
    }
    await checkAll('at the end')
    expect((await db.verify()).errors).toEqual([])
    // every tenant goes: once the background gc ran, nothing is live (main is empty)
    for (const name of [...tenants.keys()]) {
      const runs = (await db.stats()).gcRuns as number
      await db.dropTenant(name)
      tenants.delete(name)
      const space = await settle(`dropping ${name} at the end`, runs)
      if (!tenants.size) expect(space.reachable, 'live slots once every tenant is gone').toBe(0)
    }
  } finally {
    await db.close().catch(() => {})
  }
}

describe('tenants against one model per tenant', () => {
  it(`agrees on every tenant, snapshot and history entry; no slot freed early, none leaked after the background gc (seed ${SEED})`, async () => {
    await fc.assert(fc.asyncProperty(fc.array(cmdArb, { minLength: 20, maxLength: 100, size: 'max' }), fc.constantFrom(0, 3), run), { seed: SEED, numRuns: RUNS })
  }, 600_000)
})

// ---- crash schedules -------------------------------------------------------------------------------

type Step =
  | { kind: 'create'; t: string; keepLast?: number }
  | { kind: 'clone'; t: string; src: string; snap?: number } // snap: the src's k-th snapshot step
  | { kind: 'drop'; t: string }
  | { kind: 'ops'; t: string; puts: [number, string][] }
  | { kind: 'burst'; puts: [string, number, string][] }
  | { kind: 'range'; t: string; lo: number; hi: number }
  | { kind: 'snapshot'; t: string }
  | { kind: 'restore'; t: string; snap: number }
  | { kind: 'retention'; t: string; keepLast: number }
  | { kind: 'checkpoint' }
  | { kind: 'compact' }

/** A schedule whose steps are valid if every earlier one succeeds (names exist or not, as needed). */
function schedule(rand: () => number): Step[] {
  const steps: Step[] = []
  const live = new Set<string>()
  const snapCount = new Map<string, number>()
  const pick = () => [...live][Math.floor(rand() * live.size)]!
  const value = () => (rand() < 0.08 ? 'big'.repeat(200 + Math.floor(rand() * 300)) : `v${Math.floor(rand() * 1000)}`)
  let made = 0
  const count = 25 + Math.floor(rand() * 35)
  for (let i = 0; i < count; i++) {
    const r = rand()
    if (!live.size || (r < 0.1 && live.size < 5)) {
      const t = `t${made++}`
      if (live.size && rand() < 0.5) {
        const src = pick()
        const k = snapCount.get(src) ?? 0
        steps.push({ kind: 'clone', t, src, ...(k && rand() < 0.6 ? { snap: Math.floor(rand() * k) } : {}) })
      } else steps.push({ kind: 'create', t, ...(rand() < 0.4 ? { keepLast: 1 + Math.floor(rand() * 4) } : {}) })
      live.add(t)
    } else if (r < 0.16 && live.size > 1) {
      const t = pick()
      steps.push({ kind: 'drop', t })
      live.delete(t)
    } else if (r < 0.5) {
      steps.push({ kind: 'ops', t: pick(), puts: Array.from({ length: 1 + Math.floor(rand() * 8) }, () => [Math.floor(rand() * 120), value()]) })
    } else if (r < 0.62) {
      steps.push({ kind: 'burst', puts: Array.from({ length: 2 + Math.floor(rand() * 12) }, () => [pick(), Math.floor(rand() * 120), value()]) })
    } else if (r < 0.68) {
      const lo = Math.floor(rand() * 120)
      steps.push({ kind: 'range', t: pick(), lo, hi: lo + Math.floor(rand() * 40) })
    } else if (r < 0.78) {
      const t = pick()
      steps.push({ kind: 'snapshot', t })
      snapCount.set(t, (snapCount.get(t) ?? 0) + 1)
    } else if (r < 0.84) {
      const t = pick()
      const k = snapCount.get(t) ?? 0
      if (k) steps.push({ kind: 'restore', t, snap: Math.floor(rand() * k) })
    } else if (r < 0.89) steps.push({ kind: 'retention', t: pick(), keepLast: Math.floor(rand() * 4) })
    else if (r < 0.97) steps.push({ kind: 'checkpoint' })
    else steps.push({ kind: 'compact' })
  }
  return steps
}

/** The model of every tenant: contents and the retention it keeps. */
type World = Map<string, { entries: Entries; keepLast: number }>
type Unit = (w: World, snapAt: (t: string, k: number) => Entries | undefined) => void
const cloneWorld = (w: World): World => new Map([...w].map(([k, v]) => [k, { entries: new Map(v.entries), keepLast: v.keepLast }]))
const worldText = (w: World) => JSON.stringify([...w].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.keepLast, text(v.entries)]))
const put = (e: Entries, k: number, v: string) => {
  const m = new Model()
  m.head = e
  m.put(k, v)
}

/** Runs a schedule; returns the acknowledged units, the units in flight, and acknowledged snapshots. */
async function play(db: Database, steps: Step[]) {
  const acked: Unit[] = []
  const inFlight: Unit[] = []
  const snaps: { id: string; t: string; upTo: number }[] = []
  const snapIds = new Map<string, string[]>() // per tenant, by snapshot step
  const one = async (u: Unit, call: () => Promise<unknown>) => {
    inFlight.push(u)
    await call()
    acked.push(inFlight.pop()!)
  }
  for (const s of steps) {
    try {
      switch (s.kind) {
        case 'create':
          await one((w) => void w.set(s.t, { entries: new Map(), keepLast: s.keepLast ?? 0 }), () => db.createTenant(s.t, s.keepLast ? { retention: { keepLast: s.keepLast } } : {}))
          break
        case 'clone': {
          const k = s.snap
          const id = k === undefined ? undefined : snapIds.get(s.src)![k]!
          await one(
            (w, at) => void w.set(s.t, { entries: new Map(k === undefined ? w.get(s.src)!.entries : at(s.src, k)!), keepLast: 0 }),
            () => db.tenant(s.src).clone(s.t, id === undefined ? {} : { snapshot: id }),
          )
          break
        }
        case 'drop':
          await one((w) => void w.delete(s.t), () => db.dropTenant(s.t))
          break
        case 'ops':
          await one((w) => s.puts.forEach(([k, v]) => put(w.get(s.t)!.entries, k, v)), () => db.batch(s.puts.map(([key, value]) => ({ type: 'put' as const, key, value })), { branch: s.t }))
          break
        case 'burst': {
          // one tick, several tenants, one flush: each put its own commit
          const units: Unit[] = s.puts.map(([t, k, v]) => (w) => put(w.get(t)!.entries, k, v))
          const results = await Promise.allSettled(s.puts.map(([t, k, v]) => db.put(k, v, { branch: t })))
          results.forEach((r, i) => (r.status === 'fulfilled' ? acked.push(units[i]!) : inFlight.push(units[i]!)))
          const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined
          if (failed) throw failed.reason
          break
        }
        case 'range':
          await one(
            (w) => {
              const m = new Model()
              m.head = w.get(s.t)!.entries
              m.deleteRange({ gte: s.lo, lt: s.hi })
            },
            () => db.deleteRange({ gte: s.lo, lt: s.hi }, { branch: s.t }),
          )
          break
        case 'snapshot': {
          const info = await db.tenant(s.t).snapshot()
          snapIds.set(s.t, [...(snapIds.get(s.t) ?? []), info.id])
          snaps.push({ id: info.id, t: s.t, upTo: acked.length })
          break
        }
        case 'restore': {
          const k = s.snap
          await one((w, at) => void (w.get(s.t)!.entries = new Map(at(s.t, k)!)), () => db.tenant(s.t).restore(snapIds.get(s.t)![k]!))
          break
        }
        case 'retention':
          await one((w) => void (w.get(s.t)!.keepLast = s.keepLast), () => db.tenant(s.t).setRetention({ keepLast: s.keepLast }))
          break
        case 'checkpoint':
          await db.checkpoint()
          break
        case 'compact':
          await db.compact()
          break
      }
    } catch (e) {
      return { acked, inFlight, snaps, error: e as Error }
    }
  }
  return { acked, inFlight, snaps, error: undefined }
}

/** The world after `units` from empty; a snapshot reads the world as it was after its first `upTo` units. */
function replayUnits(units: Unit[], snaps: { id: string; t: string; upTo: number }[]): World {
  const w: World = new Map()
  const states: World[] = [cloneWorld(w)]
  const byTenant = new Map<string, number[]>()
  for (const s of snaps) byTenant.set(s.t, [...(byTenant.get(s.t) ?? []), s.upTo])
  for (const u of units) {
    u(w, (t, k) => states[byTenant.get(t)![k]!]!.get(t)?.entries)
    states.push(cloneWorld(w))
  }
  return w
}

const BASE = { pageSize: 512, checkpointDelayMs: 0, walCheckpointBytes: 4096, cacheBytes: 16 * 1024, largeCommitBytes: 1500 }

async function worldOf(db: Database): Promise<string> {
  const w: World = new Map()
  for (const t of await db.tenants()) {
    const m = new Model()
    for (const [k, v] of await db.scan({ branch: t.name, limit: 1e9 })) m.put(k as number, v)
    w.set(t.name, { entries: m.head, keepLast: t.retention.keepLast })
  }
  return worldText(w)
}

async function crashRun(seed: number): Promise<void> {
  const steps = schedule(prng(seed))
  const dry = new FaultController()
  const dryDb = await Database.open(new FaultyStorage(dry, prng(seed + 1)), BASE)
  await play(dryDb, steps)
  await dryDb.close()
  const rand = prng(seed * 7 + 3)
  const crashAt = 1 + Math.floor(rand() * dry.calls)
  const storage = new FaultyStorage(new FaultController(crashAt), rand)
  let played: Awaited<ReturnType<typeof play>> = { acked: [], inFlight: [], snaps: [], error: undefined }
  try {
    played = await play(await Database.open(storage, BASE), steps)
  } catch {
    // the crash hit open() itself
  }
  const { acked, inFlight, snaps } = played
  const after = await Database.open(storage.afterCrash(rand), BASE)
  try {
    const got = await worldOf(after)
    const candidates: string[] = []
    for (let i = 0; i <= inFlight.length; i++) candidates.push(worldText(replayUnits([...acked, ...inFlight.slice(0, i)], snaps)))
    expect(candidates, `seed ${seed}: state after a crash at I/O call ${crashAt} is not the acknowledged operations + a prefix of those in flight`).toContain(got)
    // every acknowledged snapshot of a tenant that no acknowledged or in-flight step dropped reads as it was
    const dropped = new Set(steps.filter((s): s is Extract<Step, { kind: 'drop' }> => s.kind === 'drop').map((s) => s.t))
    for (const s of snaps) {
      if (dropped.has(s.t)) continue
      const w = replayUnits(acked.slice(0, s.upTo), snaps)
      expect(await contents(after, s.t, s.id), `seed ${seed}: snapshot ${s.id} of ${s.t}`).toBe(text(w.get(s.t)!.entries))
    }
    expect((await after.verify()).errors, `seed ${seed}: verify`).toEqual([])
    expect((await after.space()).reachableButFree, `seed ${seed}: reachable slots on the free list`).toBe(0)
  } finally {
    await after.close()
  }
}

describe('tenants under crashes', () => {
  it(`${SCHEDULES} crash schedules keep every acknowledged tenant operation (seed ${SEED})`, async () => {
    await runSeeds(SEED * 1000, SCHEDULES, crashRun)
  }, 600_000)
})
