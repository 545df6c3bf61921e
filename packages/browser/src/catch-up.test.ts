// A subscriber across changes of owner, in Node: the real engine on memory storage, reopened by
// each next owner as the next tab finds the files. Events travel through a queue (the channel);
// at a change of owner some of those in transit arrive, the rest are lost with the old owner, and
// the new owner may commit before the subscription reaches it. The subscriber (Marks, as a
// follower keeps them) must end with a mirror equal to the data, never see a commit twice, and
// see a reset only when the state it stood at is no longer kept.
import { Database, MemoryStorage, type ChangeEvent } from '@cowdb/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { subscribeFrom } from './catch-up.js'
import { Marks } from './marks.js'

const SEED = 20261201
const RANGE = { gte: 'k', lt: 'l' }
const settle = () => new Promise((r) => setTimeout(r))

type Step =
  | { kind: 'write'; key: string; value: number | null }
  | { kind: 'deliver'; n: number }
  | { kind: 'handover'; arrive: number; before: { key: string; value: number | null }[]; abrupt: boolean }

const write = fc.record({ key: fc.constantFrom('k1', 'k2', 'k3', 'k4', 'k5', 'z1', 'z2'), value: fc.option(fc.integer({ min: 0, max: 99 })) })
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: write.map((w) => ({ kind: 'write' as const, ...w })) },
  { weight: 2, arbitrary: fc.nat(6).map((n) => ({ kind: 'deliver' as const, n })) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('handover' as const), arrive: fc.nat(6), before: fc.array(write, { maxLength: 4 }), abrupt: fc.boolean() }) },
)

/** Runs `steps` with history kept for the last `keepLast` commits (0: none); returns what the subscriber saw. */
async function run(steps: Step[], keepLast: number) {
  const storage = new MemoryStorage()
  const open = () => Database.open(storage.reopen(), { checkpointDelayMs: 0, ...(keepLast ? { retention: { keepLast } } : {}) })
  let db = await open()
  const marks = new Marks()
  let mirror = new Map<unknown, unknown>()
  let epoch = 0
  // the channel: events, and the subscribe call's answer (after the events the call delivered)
  type Message = { epoch: number; e: ChangeEvent } | { epoch: number; answer: number }
  let transit: Message[] = []
  let resets = 0
  let last = -1
  const apply = (e: ChangeEvent) => {
    for (const c of e.changes) c.after === undefined ? mirror.delete(c.key) : mirror.set(c.key, c.after)
  }
  // the subscriber: a follower's marks, then the app's mirror (a reset reloads it from a scan)
  const receive = async (x: Message) => {
    if (x.epoch !== epoch) return // a late message of an old owner
    if ('answer' in x) return marks.listening(1, x.answer)
    if (!marks.accept(1, x.e)) return // a repeat
    if (!x.e.reset) expect(x.e.commit.generation, 'an event at or below one delivered').toBeGreaterThan(last)
    last = x.e.commit.generation
    if (x.e.reset) (resets++, (mirror = new Map(await db.scan(RANGE))))
    else apply(x.e)
  }
  const subscribe = async (since: number | undefined) => {
    const mine = epoch
    const { off, generation } = await subscribeFrom(db, RANGE, since, (e) => void transit.push({ epoch: mine, e }))
    transit.push({ epoch: mine, answer: generation })
    return off
  }
  const put = (w: { key: string; value: number | null }) => (w.value === null ? db.delete(w.key) : db.put(w.key, w.value))
  let off = await subscribe(undefined)
  await receive(transit.pop()!) // the app awaited subscribe(): its answer is in
  for (const s of steps) {
    if (s.kind === 'write') await put(s)
    else if (s.kind === 'deliver') for (const x of transit.splice(0, s.n)) await receive(x)
    else {
      await settle()
      for (const x of transit.splice(0, s.arrive)) await receive(x) // arrived before the old owner went
      transit = [] // the rest went with it
      off()
      if (!s.abrupt) await db.close() // else abandoned: the next owner recovers the files
      epoch++
      db = await open()
      for (const w of s.before) await put(w) // the new owner commits before the subscription reaches it
      off = await subscribe(marks.of(1))
    }
  }
  await settle()
  for (const x of transit.splice(0)) await receive(x)
  const data = new Map(await db.scan(RANGE))
  off()
  await db.close()
  return { mirror, data, resets }
}

describe('subscribeFrom with Marks: a subscriber across changes of owner', () => {
  it(`with every state kept, the mirror equals the data, no commit twice, never a reset (fast-check, seed ${SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const r = await run(steps, 1000)
        expect(r.mirror).toEqual(r.data)
        expect(r.resets).toBe(0)
      }),
      { seed: SEED, numRuns: 60 },
    )
  })

  it(`with little or no history kept, the mirror still equals the data: a gap it cannot fill is a reset (fast-check, seed ${SEED + 1})`, async () => {
    let resets = 0
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), fc.constantFrom(0, 1, 3), async (steps, keepLast) => {
        const r = await run(steps, keepLast)
        resets += r.resets
        expect(r.mirror).toEqual(r.data)
      }),
      { seed: SEED + 1, numRuns: 60 },
    )
    expect(resets).toBeGreaterThan(0) // the runs did reach the reset path
  })

  it('a gap the kept history covers comes as one event of the net changes, before and after, then live events', async () => {
    const storage = new MemoryStorage()
    const opts = { checkpointDelayMs: 0, retention: { keepLast: 100 } }
    const a = await Database.open(storage, opts)
    await a.put('k1', 1)
    const first: ChangeEvent[] = []
    const s1 = await subscribeFrom(a, RANGE, undefined, (e) => first.push(e))
    await a.put('k1', 2)
    await a.put('z1', 0) // out of range
    await settle()
    expect(first.map((e) => e.changes)).toEqual([[{ key: 'k1', before: 1, after: 2 }]])
    const since = first[0]!.commit.generation
    await a.put('k2', 3) // its event is lost with the owner
    await a.delete('k1')
    s1.off()
    const b = await Database.open(storage.reopen(), opts)
    await b.put('k3', 4) // before the subscription reaches the new owner
    const got: ChangeEvent[] = []
    const s2 = await subscribeFrom(b, RANGE, since, (e) => got.push(e))
    await b.put('k3', 5)
    await settle()
    expect(got.map((e) => [!!e.reset, e.changes])).toEqual([
      [false, [{ key: 'k1', before: 2 }, { key: 'k2', after: 3 }, { key: 'k3', after: 4 }]],
      [false, [{ key: 'k3', before: 4, after: 5 }]],
    ])
    expect(got[0]!.commit.generation).toBe(s2.generation)
    expect(got[1]!.commit.generation).toBeGreaterThan(s2.generation)
    s2.off()
    await b.close()
  })

  it('without history: where the head has not moved, no event; where it has (in the range or not), one reset event with no changes', async () => {
    const storage = new MemoryStorage()
    const a = await Database.open(storage, { checkpointDelayMs: 0 })
    await a.put('k1', 1)
    const s1 = await subscribeFrom(a, RANGE, undefined, () => {})
    s1.off()
    const quiet: ChangeEvent[] = []
    const s2 = await subscribeFrom(a, RANGE, s1.generation, (e) => quiet.push(e))
    s2.off()
    expect(quiet).toEqual([])
    expect(s2.generation).toBe(s1.generation)
    await a.put('z1', 1) // outside the range: without the state at the mark, it cannot be told from a change inside
    const got: ChangeEvent[] = []
    const s3 = await subscribeFrom(a, RANGE, s2.generation, (e) => got.push(e))
    expect(got).toEqual([{ branch: 'main', commit: { generation: s3.generation, root: expect.any(Number) }, changes: [], reset: true }])
    expect(s3.generation).toBeGreaterThan(s2.generation)
    s3.off()
    await a.close()
  })
})

describe('Marks', () => {
  const event = (generation: number, reset?: true): ChangeEvent => ({ branch: 'main', commit: { generation, root: 0 }, changes: [], ...(reset ? { reset } : {}) })
  it('drops an event at or below the mark, moves it forward on each newer one; a reset always passes and sets it', () => {
    const m = new Marks()
    expect(m.of(1)).toBeUndefined()
    m.listening(1, 5)
    expect([m.accept(1, event(5)), m.accept(1, event(6)), m.accept(1, event(6)), m.accept(1, event(4))]).toEqual([false, true, false, false])
    m.listening(1, 3) // an older answer never moves it back
    expect(m.of(1)).toBe(6)
    expect(m.accept(1, event(2, true))).toBe(true)
    expect(m.of(1)).toBe(2)
    m.drop(1)
    expect(m.of(1)).toBeUndefined()
  })
})
