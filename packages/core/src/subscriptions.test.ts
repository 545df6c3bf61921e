// subscribe(): each durable commit's changes to a range, in commit order. The property test
// replays the events a subscriber got onto the range's starting contents and asks for the
// head's final contents, with every change's `before` equal to what the replay holds at that
// point: a missed, doubled, reordered, phantom (rolled-back) or wrong change breaks one of them.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Database } from './database.js'
import type { DatabaseOptions } from './options.js'
import { IOError } from './errors.js'
import { encodeKey, keyInRange, encodeRange } from './keys.js'
import { MemoryStorage } from './memory-store.js'
import type { ChangeEvent } from './subscriptions.js'
import type { Commit, Range } from './types.js'

const SEED = Number(process.env.COWDB_SEED ?? 20261125)
const RUNS = Number(process.env.COWDB_RUNS ?? 60)
const quiet: DatabaseOptions = { checkpointDelayMs: 0 }
const settle = () => new Promise((r) => setTimeout(r, 0))

/** A storage whose next WAL flushes can be made to fail, once each. */
function flakyStorage() {
  const storage = new MemoryStorage()
  let failures = 0
  const flush = storage.wal.flush.bind(storage.wal)
  storage.wal.flush = () => {
    if (failures > 0) {
      failures--
      throw new IOError('injected flush failure')
    }
    flush()
  }
  return { storage, failNextFlush: () => void failures++ }
}

describe('subscribe', () => {
  it('delivers puts, deletes, deleteRange, transactions, restore, undo and redo with before/after', async () => {
    const db = await Database.open(new MemoryStorage(), { ...quiet, retention: { keepLast: 10 } })
    await db.put('a', 1)
    const snap = await db.snapshot()
    const events: ChangeEvent[] = []
    const off = await db.subscribe({ gte: 'a', lt: 'm' }, (e) => events.push(e))
    await db.put('b', 2)
    await db.put('z', 26) // out of range: no event
    await db.batch([{ type: 'put', key: 'a', value: 10 }, { type: 'delete', key: 'b' }])
    await db.transaction(async (tx) => tx.put('c', ((await tx.get('a')) as number) + 1))
    await db.deleteRange({ gte: 'a', lt: 'b' })
    await db.undo()
    await db.restore(snap.id)
    await settle()
    const seen = events.map((e) => e.changes)
    expect(seen).toEqual([
      [{ key: 'b', after: 2 }],
      [{ key: 'a', before: 1, after: 10 }, { key: 'b', before: 2 }],
      [{ key: 'c', after: 11 }],
      [{ key: 'a', before: 10 }],
      [{ key: 'a', after: 10 }],
      [{ key: 'a', before: 10, after: 1 }, { key: 'c', before: 11 }],
    ])
    const gens = events.map((e) => e.commit.generation)
    expect([...gens].sort((x, y) => x - y)).toEqual(gens)
    off()
    await db.put('d', 4)
    await settle()
    expect(events).toHaveLength(6)
    await db.close()
  })

  it('keeps delivering to others when a listener throws, and reports the error', async () => {
    const db = await Database.open(new MemoryStorage(), quiet)
    const errors: unknown[] = []
    const original = console.error
    console.error = (...args: unknown[]) => void errors.push(args[1])
    try {
      const got: number[] = []
      await db.subscribe({}, () => {
        throw new Error('listener bug')
      })
      await db.subscribe({}, (e) => got.push(e.commit.generation))
      await db.put('x', 1)
      await db.put('y', 2)
      await settle()
      expect(got).toHaveLength(2)
      expect(errors).toHaveLength(2)
      expect(await db.get('y')).toBe(2)
    } finally {
      console.error = original
      await db.close()
    }
  })

  it('rejects bad arguments with TypeError and an unknown branch with SnapshotNotFoundError', async () => {
    const db = await Database.open(new MemoryStorage(), quiet)
    await expect(db.subscribe({}, 'nope' as never)).rejects.toThrow(TypeError)
    await expect(db.subscribe({ gt: 1, gte: 1 }, () => {})).rejects.toThrow(TypeError)
    await expect(db.subscribe({ branch: 'nobody' }, () => {})).rejects.toThrow(/no branch/)
    await db.put('still', 'open')
    expect(await db.get('still')).toBe('open')
    await db.close()
  })

  type Cmd =
    | { t: 'put'; k: number; v: number; b: number }
    | { t: 'del'; k: number; b: number }
    | { t: 'range'; lo: number; n: number; b: number }
    | { t: 'big'; lo: number; n: number; v: number; b: number }
    | { t: 'tx'; from: number; to: number; b: number }
    | { t: 'snap'; b: number }
    | { t: 'restore'; i: number; b: number }
    | { t: 'undo'; b: number }
    | { t: 'redo'; b: number }
    | { t: 'fail' }
    | { t: 'wait' }
    | { t: 'checkpoint' }
  const k = fc.integer({ min: 0, max: 40 })
  const b = fc.integer({ min: 0, max: 1 })
  const cmd: fc.Arbitrary<Cmd> = fc.oneof(
    { weight: 20, arbitrary: fc.record({ t: fc.constant('put' as const), k, v: fc.integer({ min: 0, max: 9 }), b }) },
    { weight: 6, arbitrary: fc.record({ t: fc.constant('del' as const), k, b }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('range' as const), lo: k, n: fc.integer({ min: 1, max: 12 }), b }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('big' as const), lo: k, n: fc.integer({ min: 5, max: 30 }), v: fc.integer({ min: 0, max: 9 }), b }) },
    { weight: 4, arbitrary: fc.record({ t: fc.constant('tx' as const), from: k, to: k, b }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('snap' as const), b }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('restore' as const), i: fc.nat(), b }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('undo' as const), b }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('redo' as const), b }) },
    { weight: 2, arbitrary: fc.constant({ t: 'fail' as const }) },
    { weight: 4, arbitrary: fc.constant({ t: 'wait' as const }) },
    { weight: 1, arbitrary: fc.constant({ t: 'checkpoint' as const }) },
  )
  const key = (i: number) => `k${String(i).padStart(2, '0')}`
  const ranges: (Range & { branch?: string })[] = [{}, { gte: key(10), lt: key(25) }, { branch: 'draft', gt: key(5) }]

  it(`replaying the events gives each head's contents, under group commit, large commits and failed flushes (seed ${SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 5, maxLength: 60 }), fc.boolean(), async (cmds, history) => {
        const { storage, failNextFlush } = flakyStorage()
        // large commits (over 600 bytes) go through a checkpoint instead of the WAL; without history,
        // undo and redo are no-ops and only the subscription keeps commits' pages intact
        const db = await Database.open(storage, { ...quiet, pageSize: 512, largeCommitBytes: 600, retention: history ? { keepLast: 5 } : {} })
        await db.put(key(12), 'seed')
        await db.branch('draft')
        await db.put(key(30), 'main only')
        const views = await Promise.all(ranges.map(async (r) => new Map((await db.scan({ ...r, limit: 1000 })).map(([k, v]) => [k as string, v]))))
        const problems: string[] = []
        let lastGen = 0
        const events: ChangeEvent[] = []
        await Promise.all(
          ranges.map((r, i) =>
            db.subscribe(r, (e) => {
              events.push(e)
              const view = views[i]!
              if (e.branch !== (r.branch ?? 'main')) problems.push(`event for ${e.branch} on a ${r.branch ?? 'main'} subscription`)
              if (!e.changes.length) problems.push('empty event')
              if (i === 0 && e.commit.generation <= lastGen) problems.push(`generation ${e.commit.generation} after ${lastGen}`)
              if (i === 0) lastGen = e.commit.generation
              const keys = e.changes.map((c) => c.key as string)
              if (keys.some((k, j) => j > 0 && !(keys[j - 1]! < k))) problems.push(`changes out of key order: ${keys.join(', ')}`)
              for (const c of e.changes) {
                const inRange = keyInRange(encodeKey(c.key), encodeRange({ gt: r.gt, gte: r.gte, lt: r.lt }))
                if (!inRange) problems.push(`${String(c.key)} outside range ${i}`)
                if (view.get(c.key as string) !== c.before) problems.push(`range ${i} ${String(c.key)}: before ${String(c.before)}, replay has ${String(view.get(c.key as string))}`)
                if (c.after === undefined) view.delete(c.key as string)
                else view.set(c.key as string, c.after)
              }
            }),
          ),
        )
        const snaps: string[][] = [[], []]
        const touched = new Map<number, Set<string>>()
        const pending: Promise<unknown>[] = []
        for (const c of cmds) {
          const opts = { branch: 'b' in c && c.b === 1 ? 'draft' : 'main' }
          let p: Promise<unknown> | undefined
          // which keys each commit may change: an event must not carry another commit's changes
          const only = (keys: string[]) => (x: Commit) => void touched.set(x.generation, new Set(keys))
          const span = (lo: number, n: number) => Array.from({ length: n }, (_, j) => key(lo + j))
          if (c.t === 'put') p = db.put(key(c.k), c.v, opts).then(only([key(c.k)]))
          else if (c.t === 'del') p = db.delete(key(c.k), opts).then(only([key(c.k)]))
          else if (c.t === 'range') p = db.deleteRange({ gte: key(c.lo), lt: key(c.lo + c.n) }, opts).then(only(span(c.lo, c.n)))
          else if (c.t === 'big') p = db.batch(span(c.lo, c.n).map((k) => ({ type: 'put' as const, key: k, value: `${c.v}`.repeat(40) })), opts).then(only(span(c.lo, c.n)))
          else if (c.t === 'tx') p = db.transaction(async (tx) => tx.put(key(c.to), ((await tx.get(key(c.from))) ?? 'none') + '+'), { ...opts, retries: 5 })
          else if (c.t === 'snap') p = db.snapshot(opts).then((s) => snaps[c.b]!.push(s.id))
          else if (c.t === 'restore' && snaps[c.b]!.length) p = db.restore(snaps[c.b]![c.i % snaps[c.b]!.length]!, opts)
          else if (c.t === 'undo') p = db.undo(opts)
          else if (c.t === 'redo') p = db.redo(opts)
          else if (c.t === 'fail') failNextFlush()
          else if (c.t === 'checkpoint') p = db.checkpoint()
          else if (c.t === 'wait') await Promise.allSettled(pending.splice(0))
          if (p) pending.push(p)
        }
        await Promise.allSettled(pending)
        await settle()
        for (const e of events) {
          const allowed = touched.get(e.commit.generation)
          for (const c of e.changes) if (allowed && !allowed.has(c.key as string)) problems.push(`commit ${e.commit.generation} reported ${String(c.key)}`)
        }
        for (const [i, r] of ranges.entries()) {
          const head = new Map((await db.scan({ ...r, limit: 1000 })).map(([k, v]) => [k as string, v]))
          if (JSON.stringify([...head]) !== JSON.stringify([...views[i]!].sort(([x], [y]) => (x < y ? -1 : 1)))) problems.push(`range ${i}: replay ${JSON.stringify([...views[i]!])} but head ${JSON.stringify([...head])}`)
        }
        await db.close()
        expect(problems).toEqual([])
      }),
      { seed: SEED, numRuns: RUNS },
    )
  })
})
