// The owner across a change of owner, in Node: the real engine on memory storage (reopened by the
// next owner, as the next tab finds the files) and the call record on memory files. Every write
// is counted by the commit generation, which each commit moves by one.
import { Database, MemoryStorage } from '@cowdb/core'
import { describe, expect, it } from 'vitest'
import { CallLog } from './call-log.js'
import { Owner, type Client } from './owner.js'
import type { Answer, Call, Push, Result } from './protocol.js'
import { MemFile } from '../test/mem-file.js'

type Files = [MemFile, MemFile]
const files = (): Files => {
  const power = { writesLeft: Infinity, cut: 0 }
  return [new MemFile(power), new MemFile(power)]
}

/** An owner on `storage` (reopened) with the record in `record`; `fresh`: nobody waited for the lock. */
async function owner(storage: MemoryStorage, record: Files, fresh = false) {
  const engine = await Database.open(storage.reopen(), { checkpointDelayMs: 0 })
  return { engine, owner: new Owner(engine, CallLog.load(record, fresh), 'owner') }
}

/** A client that keeps what it is answered and pushed. */
function client() {
  const answers = new Map<number, Result>()
  const waiters = new Map<number, () => void>()
  const c: Client & { answers: Map<number, Result>; answered(ids: number[]): Promise<Result[]> } = {
    answers,
    answer(list: Answer[]) {
      for (const a of list) {
        expect(answers.has(a.id), `call ${a.id} answered twice`).toBe(false)
        answers.set(a.id, a.result)
        waiters.get(a.id)?.()
      }
    },
    push() {},
    async answered(ids) {
      await Promise.all(ids.map((id) => (answers.has(id) ? undefined : new Promise<void>((r) => waiters.set(id, r)))))
      return ids.map((id) => answers.get(id)!)
    },
  }
  return c
}

const put = (id: number, key: string, value: unknown): Call => ({ id, method: 'put', args: [key, value] })
const get = (id: number, key: string): Call => ({ id, method: 'get', args: [key] })
const generation = async (db: Database) => (await db.stats()).generation

describe('Owner', () => {
  it('a forwarded write sent twice (again while it runs, and after) runs once; both copies get its result', async () => {
    const storage = new MemoryStorage()
    const { engine, owner: a } = await owner(storage, files(), true)
    const g0 = await generation(engine)
    const first = client()
    const second = client()
    a.run('f', [put(1, 'k', 'v')], first, true)
    a.run('f', [put(1, 'k', 'v')], second, true) // while it runs
    const [r1] = await first.answered([1])
    const [r2] = await second.answered([1])
    const third = client()
    a.run('f', [put(1, 'k', 'v')], third, true) // after
    const [r3] = await third.answered([1])
    expect(r1!.ok).toBe(true)
    expect([r2, r3]).toEqual([r1, r1])
    expect(await generation(engine)).toBe(g0 + 1)
    await a.close()
  })

  it('graceful handover: the next owner answers the writes the old one ran from the record, runs the rest, and reads again', async () => {
    const storage = new MemoryStorage()
    const record = files()
    const { engine: ea, owner: a } = await owner(storage, record, true)
    const g0 = await generation(ea)
    const c = client()
    a.run('f', [put(1, 'a', 1), put(2, 'b', 2)], c, true)
    const ran = await c.answered([1, 2])
    await a.close()
    const { engine: eb, owner: b } = await owner(storage, record)
    expect(b.term).toBeGreaterThan(a.term)
    const again = client()
    b.run('f', [put(1, 'a', 1), put(2, 'b', 2), put(3, 'c', 3), get(4, 'a')], again, true)
    const got = await again.answered([1, 2, 3, 4])
    expect(got.slice(0, 2)).toEqual(ran)
    expect(got[2]!.ok).toBe(true)
    expect(got[3]).toEqual({ ok: true, value: 1 })
    expect(await generation(eb)).toBe(g0 + 3) // three writes, each once
    await b.close()
  })

  it("abrupt end: a write the dead owner started but did not finish is ambiguous and never runs again; one it never started runs", async () => {
    const storage = new MemoryStorage()
    const record = files()
    const { engine: ea, owner: a } = await owner(storage, record, true)
    const c = client()
    a.run('f', [put(1, 'a', 1)], c, true)
    await c.answered([1])
    ;(a as unknown as { log: CallLog }).log.started('f', [2]) // it recorded the start, then its tab died
    const g1 = await generation(ea) // A is abandoned, not closed: the next owner reopens the files
    const { engine: eb, owner: b } = await owner(storage, record)
    const again = client()
    b.run('f', [put(1, 'a', 1), put(2, 'b', 2), put(3, 'c', 3)], again, true)
    const [r1, r2, r3] = await again.answered([1, 2, 3])
    expect(r1!.ok).toBe(true)
    expect(r2).toMatchObject({ ok: false, error: { name: 'ClosedError' } })
    expect((r2 as { error: { message: string } }).error.message).toMatch(/went away while running put\(\); it may or may not have taken effect/)
    expect(r3!.ok).toBe(true)
    expect(await generation(eb)).toBe(g1 + 1)
    expect(await eb.get('b')).toBeUndefined()
    await b.close()
  })

  it("the owner's own client's calls never go through the record; a read pinned by an earlier owner is a conflict", async () => {
    const storage = new MemoryStorage()
    const { engine, owner: a } = await owner(storage, files(), true)
    const g0 = await generation(engine)
    const [c1, c2] = [client(), client()]
    a.run('owner', [put(1, 'k', 1)], c1, false)
    a.run('owner', [put(1, 'k', 1)], c2, false) // the same id again: not a forwarded call, so it runs
    await Promise.all([c1.answered([1]), c2.answered([1])])
    expect(await generation(engine)).toBe(g0 + 2)
    const d = client()
    a.run('f', [{ id: 5, method: 'get', args: ['k', { reader: 123456789 } as never] }], d, true)
    const [r] = await d.answered([5])
    expect(r).toMatchObject({ ok: false, error: { name: 'ConflictError' } })
    await a.close()
  })

  it('close() lets the calls it already started finish and answers them before closing the engine', async () => {
    const storage = new MemoryStorage()
    const { owner: a } = await owner(storage, files(), true)
    const c = client()
    a.run('f', Array.from({ length: 50 }, (_, i) => put(i + 1, `k${i}`, i)), c, true)
    const closing = a.close()
    expect(a.isClosing).toBe(true)
    await closing
    const got = await c.answered(Array.from({ length: 50 }, (_, i) => i + 1))
    expect(got.every((r) => r.ok)).toBe(true)
  })

  it("exportBackup's answer is not recorded: a copy sent to the next owner is told it ran and its answer was lost", async () => {
    const storage = new MemoryStorage()
    const record = files()
    const { owner: a } = await owner(storage, record, true)
    const c = client()
    a.run('f', [{ id: 1, method: 'exportBackup', args: [{}] }], c, true)
    const [r] = await c.answered([1])
    expect(r!.ok && (r as { value: unknown }).value instanceof Uint8Array).toBe(true)
    await a.close()
    const { owner: b } = await owner(storage, record)
    const again = client()
    b.run('f', [{ id: 1, method: 'exportBackup', args: [{}] }], again, true)
    const [r2] = await again.answered([1])
    expect(r2).toMatchObject({ ok: false, error: { name: 'ClosedError' } })
    expect((r2 as { error: { message: string } }).error.message).toMatch(/ran, but its answer was lost/)
    await b.close()
  })

  it("a closing owner tells each other tab's subscriber, after its last event, its head's generation; its own tab's gets none", async () => {
    const storage = new MemoryStorage()
    const { engine, owner: a } = await owner(storage, files(), true)
    const pushes: Push[] = []
    const c = { ...client(), push: (p: Push) => void pushes.push(p) }
    const mine = { ...client(), push: (p: Push) => void pushes.push(p) }
    const range = { gte: 'k', lt: 'l' }
    a.run('f', [{ id: 1, method: 'subscribe', args: [7, range] }], c, true)
    a.run('owner', [{ id: 1, method: 'subscribe', args: [8, range] }], mine, false)
    const [since] = await c.answered([1])
    await mine.answered([1])
    a.run('f', [put(2, 'k1', 1), put(3, 'z1', 1)], c, true) // the last commit is outside the range
    await c.answered([2, 3])
    const head = await generation(engine)
    await a.close()
    const seen = pushes.map((p) => (p.kind === 'event' ? ['event', p.subscription, p.event.commit.generation] : p.kind === 'mark' ? ['mark', p.subscription, p.generation] : [p.kind]))
    expect(seen).toEqual([['event', 7, head - 1], ['event', 8, head - 1], ['mark', 7, head]])
    expect((since as { value: number }).value).toBe(head - 2)
  })
})
