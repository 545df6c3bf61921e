// Undo and redo of this device's own edits (own-edits.ts): a seeded model test on a core Database
// (app commits, commits sync makes for other devices' edits, undo, redo, in any order, the events
// heard through subscribe as the engine hears them) against a model kept from the operations
// alone; then two devices through a real server: handle.undo() after a merge keeps the other
// device's edit, where db.undo() would take it out everywhere.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeValue } from '@cowdb/core'
import { contents, device, freshName, manual, startServer, type TestServer } from '../../test/harness.js'
import { keyId } from './local.js'
import { OwnEdits } from './own-edits.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261201)
const KEYS = ['a', 'b', 'c', 'd']

type Step =
  | { op: 'app'; writes: [string, number | null][] }
  | { op: 'remote'; writes: [string, number | null][] }
  | { op: 'undo' }
  | { op: 'redo' }

const writes = fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), fc.option(fc.integer({ min: 0, max: 3 }), { nil: null })), { minLength: 1, maxLength: 3, selector: (w) => w[0] })
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('app' as const), writes }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('remote' as const), writes }) },
  { weight: 3, arbitrary: fc.constant({ op: 'undo' as const }) },
  { weight: 2, arbitrary: fc.constant({ op: 'redo' as const }) },
)

/** The model: the state, and this device's commits as (key, before, after) lists, as a user sees them. */
class Model {
  state = new Map<string, number>()
  undos: [string, number | undefined, number | undefined][][] = []
  redos: [string, number | undefined, number | undefined][][] = []

  commit(w: [string, number | null][], own: boolean): void {
    const edits = w.flatMap(([k, v]): [string, number | undefined, number | undefined][] => {
      const before = this.state.get(k)
      const after = v ?? undefined
      if (before === after) return [] // no change: the engine hears none
      if (after === undefined) this.state.delete(k)
      else this.state.set(k, after)
      return [[k, before, after]]
    })
    if (!own || !edits.length) return
    this.undos.push(edits)
    this.redos = []
  }

  /** Sets each key from `from` to `to` where the state still holds `from`; what it changed and kept. */
  private flip(edits: [string, number | undefined, number | undefined][], undo: boolean): { changed: string[]; kept: string[] } {
    const r = { changed: [] as string[], kept: [] as string[] }
    for (const [k, before, after] of edits) {
      const [from, to] = undo ? [after, before] : [before, after]
      if (this.state.get(k) !== from) {
        r.kept.push(k)
        continue
      }
      r.changed.push(k)
      if (to === undefined) this.state.delete(k)
      else this.state.set(k, to)
    }
    return r
  }

  undo() {
    const e = this.undos.pop()
    if (!e) return null
    this.redos.push(e)
    return this.flip(e, true)
  }

  redo() {
    const e = this.redos.pop()
    if (!e) return null
    this.undos.push(e)
    return this.flip(e, false)
  }
}

describe('own edits: undo and redo of this device\'s commits only', () => {
  it(`a model: app commits, merged commits of other devices, undo and redo in any order (seed ${SEED}; COWDB_SEED overrides)`, async () => {
    let runs = 0
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
        runs++
        const { db } = await device()
        const own = new OwnEdits()
        await db.subscribe({}, (e) => own.record(e))
        const model = new Model()
        for (const s of steps) {
          if (s.op === 'app') {
            await db.batch(s.writes.map(([key, v]) => (v === null ? { type: 'delete' as const, key } : { type: 'put' as const, key, value: v })))
            model.commit(s.writes, true)
          } else if (s.op === 'remote') {
            // as the engine merges: one transaction, then tells OwnEdits exactly what it wrote
            const made = new Map<string, Uint8Array | null>()
            await db.transaction(async (tx) => {
              made.clear()
              for (const [key, v] of s.writes) {
                const cur = await tx.get(key)
                if ((cur ?? null) === v) continue
                made.set(keyId(key), v === null ? null : encodeValue(v))
                if (v === null) tx.delete(key)
                else tx.put(key, v)
              }
            })
            own.made(made)
            model.commit(s.writes, false)
          } else {
            const got = await own[s.op](db)
            const want = model[s.op]()
            expect(got && { changed: [...got.changed].sort(), kept: [...got.kept].sort() }).toEqual(want && { changed: want.changed.sort(), kept: want.kept.sort() })
          }
          expect(new Map((await db.scan()) as [string, number][])).toEqual(model.state)
        }
        await db.close()
      }),
      { seed: SEED, numRuns: 60, endOnFailure: true, verbose: 1 }, // fast-check's failure message gives the seed
    )
    expect(runs).toBeGreaterThan(0)
  })

  it('an app commit writing exactly what a merge wrote is told apart by order: each event is matched once', async () => {
    const { db } = await device()
    const own = new OwnEdits()
    await db.subscribe({}, (e) => own.record(e))
    await db.put('k', 1) // the app
    await db.transaction(async (tx) => tx.put('k', 2)) // sync's merge
    own.made(new Map([[keyId('k'), encodeValue(2)]]))
    await db.put('k', 3) // the app again
    expect(await own.undo(db)).toEqual({ changed: ['k'], kept: [] })
    expect(await db.get('k')).toBe(2) // back to the merged value, not past it
    expect(await own.undo(db)).toEqual({ changed: [], kept: ['k'] }) // k=1 was replaced by the merge
    expect(await db.get('k')).toBe(2)
    expect(await own.undo(db)).toBeNull()
    await db.close()
  })
})

describe('own edits after a reset', () => {
  it('a reset event (events lost across a change of owner tab) ends both stacks: nothing is undone from a guess', async () => {
    const { db } = await device()
    const own = new OwnEdits()
    await db.subscribe({}, (e) => own.record(e))
    await db.put('a', 1)
    await db.put('b', 2)
    expect(await own.undo(db)).toEqual({ changed: ['b'], kept: [] })
    const generation = (await db.branches()).find((b) => b.name === 'main')!.generation
    own.record({ branch: 'main', commit: { generation, root: 0 }, changes: [], reset: true })
    expect(own.depth).toEqual({ undoable: 0, redoable: 0 })
    expect(await own.undo(db)).toBeNull()
    expect(await own.redo(db)).toBeNull()
    expect(await db.get('a')).toBe(1)
    await db.close()
  })
})

describe('own edits through a server: two devices', () => {
  let ts: TestServer
  beforeAll(async () => {
    ts = await startServer()
  })
  afterAll(async () => {
    await ts?.server.close()
  })

  it("handle.undo() after a merge keeps the other device's edit; both devices converge; redo brings it back", async () => {
    const name = freshName()
    const a = await device()
    const b = await device()
    const sa = await manual(ts, a.db, name)
    const sb = await manual(ts, b.db, name)
    await a.db.put('title', 'v1')
    await sa.syncNow()
    await sb.syncNow()
    await a.db.put('title', 'v2') // A's edit
    await b.db.put('from-b', 'hello') // B's edit, merged into A next
    await sb.syncNow()
    await sa.syncNow()
    expect(await contents(a.db)).toEqual([['from-b', 'hello'], ['title', 'v2']])
    const undone = await sa.undo()
    expect(undone).toEqual({ changed: ['title'], kept: [] })
    expect(await contents(a.db)).toEqual([['from-b', 'hello'], ['title', 'v1']])
    await sa.syncNow()
    await sb.syncNow()
    expect(await contents(b.db)).toEqual([['from-b', 'hello'], ['title', 'v1']])
    expect(await sa.redo()).toEqual({ changed: ['title'], kept: [] })
    await sa.syncNow()
    await sb.syncNow()
    expect(await contents(b.db)).toEqual([['from-b', 'hello'], ['title', 'v2']])
    expect(await contents(a.db)).toEqual(await contents(b.db))
    // a standby of A's runner asks the runner
    const standby = await manual(ts, a.db, name)
    expect(standby.status.runner).toBe(false)
    expect(await standby.undo()).toEqual({ changed: ['title'], kept: [] })
    expect(await a.db.get('title')).toBe('v1')
    await standby.stop()
    await sa.stop()
    await sb.stop()
  })

  it('a key the other device changed since keeps its newer value: undo reports it kept', async () => {
    const name = freshName()
    const a = await device()
    const b = await device()
    const sa = await manual(ts, a.db, name)
    const sb = await manual(ts, b.db, name)
    await a.db.put('k', 'a')
    await sa.syncNow()
    await sb.syncNow()
    await b.db.put('k', 'b') // later than A's
    await sb.syncNow()
    await sa.syncNow()
    expect(await a.db.get('k')).toBe('b')
    const r = await sa.undo()
    expect(r).toEqual({ changed: [], kept: ['k'] })
    expect(await a.db.get('k')).toBe('b')
    expect(await sa.undo()).toBeNull()
    await sa.stop()
    await sb.stop()
  })
})
