// Model test for history and branches: undo, redo, restore, branch, dropBranch and retention
// against a model that keeps a whole copy of every state. Every read at every head, branch and
// snapshot must agree, across checkpoints and reopens; after every gc() every slot of the pages
// file is reachable or free, exactly (no leak, no premature free).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Database } from '../src/database.js'
import { MemoryStorage } from '../src/memory-store.js'
import type { Key } from '../src/types.js'
import { Model, type Entries, modelKey } from './model.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261124)
const RUNS = Number(process.env.COWDB_RUNS ?? 25)
const BRANCHES = ['main', 'draft', 'alt']

type Cmd =
  | { t: 'put'; b: number; k: number; v: string }
  | { t: 'del'; b: number; k: number }
  | { t: 'bulk'; b: number; n: number; seed: number }
  | { t: 'range'; b: number; lo: number; n: number }
  | { t: 'undo'; b: number }
  | { t: 'redo'; b: number }
  | { t: 'snap'; b: number }
  | { t: 'restore'; b: number; i: number }
  | { t: 'branch'; b: number; i: number }
  | { t: 'dropBranch'; b: number }
  | { t: 'dropSnap'; i: number }
  | { t: 'retention'; keepLast: number }
  | { t: 'checkpoint' }
  | { t: 'gc' }
  | { t: 'compact' }
  | { t: 'reopen' }

const b = fc.integer({ min: 0, max: BRANCHES.length - 1 })
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 20, arbitrary: fc.record({ t: fc.constant('put' as const), b, k: fc.integer({ min: 0, max: 300 }), v: fc.string({ maxLength: 40 }) }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('del' as const), b, k: fc.integer({ min: 0, max: 300 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('bulk' as const), b, n: fc.integer({ min: 10, max: 150 }), seed: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('range' as const), b, lo: fc.integer({ min: 0, max: 300 }), n: fc.integer({ min: 1, max: 80 }) }) },
  { weight: 8, arbitrary: fc.record({ t: fc.constant('undo' as const), b }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('redo' as const), b }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('snap' as const), b }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('restore' as const), b, i: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('branch' as const), b, i: fc.integer({ min: -1, max: 10 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('dropBranch' as const), b }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('dropSnap' as const), i: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('retention' as const), keepLast: fc.constantFrom(0, 1, 3, 8) }) },
  { weight: 2, arbitrary: fc.constant({ t: 'checkpoint' as const }) },
  { weight: 2, arbitrary: fc.constant({ t: 'gc' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'compact' as const }) },
  { weight: 2, arbitrary: fc.constant({ t: 'reopen' as const }) },
)

/** The model of one head: its state and its history of whole copies. */
type ModelHead = { model: Model; history: Entries[]; cursor: number }

const OPEN = { pageSize: 512, checkpointDelayMs: 0, walCheckpointBytes: 16 * 1024, cacheBytes: 32 * 1024, largeCommitBytes: 6_000 }

async function run(cmds: Cmd[], keepLast0: number): Promise<void> {
  const storage = new MemoryStorage()
  let db = await Database.open(storage, { ...OPEN, retention: { keepLast: keepLast0 } })
  let keepLast = keepLast0
  const heads = new Map<string, ModelHead>([['main', { model: new Model(), history: [], cursor: -1 }]])
  const snaps = new Map<string, Entries>()
  const snapIds: string[] = []

  /** Applies a commit to the model head, with history as the engine keeps it. */
  const commit = (name: string, change: (m: Model) => void) => {
    const h = heads.get(name)!
    const before = new Map(h.model.head)
    change(h.model)
    if (keepLast === 0) return
    h.history.splice(h.cursor + 1)
    if (!h.history.length) h.history.push(before)
    h.history.push(new Map(h.model.head))
    h.history.splice(0, Math.max(0, h.history.length - keepLast))
    h.cursor = h.history.length - 1
  }
  const contents = async (opts: { branch?: string; snapshot?: string }) =>
    JSON.stringify((await db.scan({ ...opts, limit: 1e9 })).map(([k, v]) => [modelKey(k as Key), v]))
  const expected = (e: Entries) => {
    const m = new Model()
    m.head = e
    return JSON.stringify(m.scan({ limit: 1e9 }).map(([k, v]) => [modelKey(k), v]))
  }
  const checkAll = async (when: string) => {
    for (const [name, h] of heads) expect(await contents({ branch: name }), `${when}: branch ${name}`).toBe(expected(h.model.head))
    for (const [id, e] of snaps) expect(await contents({ snapshot: id }), `${when}: snapshot ${id}`).toBe(expected(e))
    const info = await db.branches()
    expect(info.map((i) => i.name).sort(), when).toEqual([...heads.keys()].sort())
    for (const i of info) {
      const h = heads.get(i.name)!
      expect({ undoable: i.undoable, redoable: i.redoable }, `${when}: history of ${i.name}`).toEqual({
        undoable: Math.max(0, h.cursor),
        redoable: h.cursor < 0 ? 0 : h.history.length - 1 - h.cursor,
      })
    }
  }

  try {
    for (const [step, c] of cmds.entries()) {
      const when = `step ${step} ${JSON.stringify(c)}`
      const name = 'b' in c ? BRANCHES[c.b]! : 'main'
      const h = heads.get(name)
      switch (c.t) {
        case 'put':
          if (!h) break
          await db.put(c.k, c.v, { branch: name })
          commit(name, (m) => m.put(c.k, c.v))
          break
        case 'del':
          if (!h) break
          await db.delete(c.k, { branch: name })
          commit(name, (m) => m.delete(c.k))
          break
        case 'bulk': {
          if (!h) break
          // un-awaited commits in one tick share a flush: each is still its own history entry
          const ps: Promise<unknown>[] = []
          for (let j = 0; j < c.n; j++) {
            const k = (c.seed + j * 37) % 300
            ps.push(db.put(k, `${c.seed}:${j}`, { branch: name }))
            commit(name, (m) => m.put(k, `${c.seed}:${j}`))
          }
          await Promise.all(ps)
          break
        }
        case 'range':
          if (!h) break
          await db.deleteRange({ gte: c.lo, lt: c.lo + c.n }, { branch: name })
          commit(name, (m) => m.deleteRange({ gte: c.lo, lt: c.lo + c.n }))
          break
        case 'undo':
        case 'redo': {
          if (!h) break
          const got = c.t === 'undo' ? await db.undo({ branch: name }) : await db.redo({ branch: name })
          const to = h.cursor + (c.t === 'undo' ? -1 : 1)
          const can = h.cursor >= 0 && to >= 0 && to < h.history.length
          expect(got === null, `${when}: ${c.t} possible`).toBe(!can)
          if (can) {
            h.cursor = to
            h.model.head = new Map(h.history[to]!)
          }
          break
        }
        case 'snap': {
          if (!h) break
          const s = await db.snapshot({ branch: name })
          snaps.set(s.id, new Map(h.model.head))
          snapIds.push(s.id)
          break
        }
        case 'restore': {
          if (!h || !snapIds.length) break
          const id = snapIds[c.i % snapIds.length]!
          await db.restore(id, { branch: name })
          commit(name, (m) => (m.head = new Map(snaps.get(id)!)))
          break
        }
        case 'branch': {
          if (h) {
            await expect(db.branch(name), when).rejects.toThrow(TypeError)
            break
          }
          const from = c.i < 0 || !snapIds.length ? undefined : snapIds[c.i % snapIds.length]!
          await db.branch(name, from === undefined ? {} : { from })
          const m = new Model()
          m.head = new Map(from === undefined ? heads.get('main')!.model.head : snaps.get(from)!)
          heads.set(name, { model: m, history: [], cursor: -1 })
          break
        }
        case 'dropBranch':
          if (!h || name === 'main') break
          await db.dropBranch(name)
          heads.delete(name)
          break
        case 'dropSnap': {
          if (!snapIds.length) break
          const id = snapIds.splice(c.i % snapIds.length, 1)[0]!
          await db.dropSnapshot(id)
          snaps.delete(id)
          break
        }
        case 'retention':
          await db.setRetention({ keepLast: c.keepLast })
          keepLast = c.keepLast
          if (keepLast === 0) for (const mh of heads.values()) (mh.history = []), (mh.cursor = -1)
          break
        case 'checkpoint':
          await db.checkpoint()
          break
        case 'gc': {
          await db.gc()
          const space = await db.space()
          expect({ leaked: space.leaked, reachableButFree: space.reachableButFree }, `${when}: slots after gc`).toEqual({ leaked: 0, reachableButFree: 0 })
          break
        }
        case 'compact': {
          const { bytesAfter } = await db.compact()
          const space = await db.space()
          expect({ leaked: space.leaked, reachableButFree: space.reachableButFree }, `${when}: slots after compact`).toEqual({ leaked: 0, reachableButFree: 0 })
          expect(bytesAfter, `${when}: file after compact`).toBe(space.slots * OPEN.pageSize)
          break
        }
        case 'reopen':
          await db.close()
          db = await Database.open(storage.reopen(), OPEN)
          break
      }
      // never, at any step, a slot that some root reaches on the free list (deadlists free early)
      const space = await db.space()
      expect(space.reachableButFree, `${when}: reachable slots on the free list`).toBe(0)
      if (step % 10 === 9) await checkAll(when)
    }
    await checkAll('at the end')
    expect((await db.verify()).errors).toEqual([])
    await db.gc()
    const space = await db.space()
    expect({ leaked: space.leaked, reachableButFree: space.reachableButFree }, 'slots after the last gc').toEqual({ leaked: 0, reachableButFree: 0 })
  } finally {
    await db.close().catch(() => {})
  }
}

describe('history and branches against a model of whole copies', () => {
  it(`agrees on every read at every head, branch and snapshot; gc is exact (seed ${SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmdArb, { minLength: 10, maxLength: 120 }), fc.constantFrom(0, 2, 5, 20), run),
      { seed: SEED, numRuns: RUNS },
    )
  }, 300_000)

  it('edit, undo twice, reopen, redo once: the values a user expects', async () => {
    const storage = new MemoryStorage()
    let db = await Database.open(storage, { ...OPEN, retention: { keepLast: 50 } })
    await db.put('title', 'a')
    await db.put('title', 'ab')
    await db.put('title', 'abc')
    expect(await db.undo()).not.toBeNull()
    expect(await db.undo()).not.toBeNull()
    expect(await db.get('title')).toBe('a')
    await db.close()
    db = await Database.open(storage.reopen(), OPEN)
    expect(await db.get('title')).toBe('a')
    await db.redo()
    expect(await db.get('title')).toBe('ab')
    await db.put('title', 'abX') // drops the redo entry 'abc'
    expect(await db.redo()).toBeNull()
    await db.undo()
    expect(await db.get('title')).toBe('ab')
    await db.close()
  })
})
