// A follower's side of a change of owner, message by message, including the orders the channel
// may deliver them in: a new leader's announcement before the old one's last answers or its
// "not run", a late announcement of an older leader, a copy of an answer from each leader.
import { describe, expect, it } from 'vitest'
import type { Client } from './owner.js'
import { TRANSFER_MIN_BYTES, type Answer, type Call, type Push, type ShareMessage } from './protocol.js'
import { Follower } from './share.js'

function harness() {
  const sent: ShareMessage[] = []
  const answers: Answer[] = []
  const transfers: ArrayBuffer[][] = []
  const pushes: Push[] = []
  const client: Client = { answer: (a, t) => (answers.push(...a), transfers.push(t)), push: (p) => pushes.push(p) }
  const f = new Follower('me', (m) => sent.push(m), client)
  const calls = (to: string) => sent.flatMap((m) => (m.kind === 'call' && m.to === to ? m.calls.map((c) => c.id) : []))
  return { f, sent, answers, transfers, pushes, calls }
}
const put = (id: number): Call => ({ id, method: 'put', args: [`k${id}`, id] })
const ok = (id: number, value: unknown = { generation: id, root: 1 }): Answer => ({ id, result: { ok: true, value } })

const event = (subscription: number, generation: number): Push => ({ kind: 'event', subscription, event: { branch: 'main', commit: { generation, root: 1 }, changes: [] } })
const gens = (pushes: Push[]) => pushes.flatMap((p) => (p.kind === 'event' ? [p.event.commit.generation] : []))

describe('Follower', () => {
  it("keeps each subscription's mark: drops repeats and a replaced leader's late events, and makes it again from the mark, before the held calls", () => {
    const h = harness()
    h.f.receive({ kind: 'leader', id: 'L1', term: 1 })
    h.f.send([{ id: 3, method: 'subscribe', args: [7, { gte: 'a' }] }])
    h.f.receive({ kind: 'results', to: 'me', answers: [ok(3, 10)] }) // L1 listens from generation 10
    for (const g of [11, 11, 9, 12]) h.f.receive({ kind: 'push', from: 'L1', to: 'me', push: event(7, g) })
    expect(gens(h.pushes)).toEqual([11, 12])
    h.f.send([put(4)])
    h.f.receive({ kind: 'leader', id: 'L2', term: 2 })
    const toL2 = h.sent.filter((m) => m.kind === 'call' && m.to === 'L2').flatMap((m) => (m.kind === 'call' ? m.calls : []))
    expect(toL2.map((c) => [c.method, c.args])).toEqual([['subscribe', [7, { gte: 'a' }, 12]], ['put', ['k4', 4]]])
    h.f.receive({ kind: 'push', from: 'L1', to: 'me', push: event(7, 13) }) // late: L2's catch-up holds it
    h.f.receive({ kind: 'push', from: 'L2', to: 'me', push: event(7, 15) }) // L2's catch-up event
    h.f.receive({ kind: 'push', from: 'L2', to: 'me', push: event(7, 14) })
    h.f.receive({ kind: 'push', from: 'L2', to: 'me', push: { kind: 'progress', id: 4, progress: { phase: 'x', done: 1, total: 2 } } })
    expect(gens(h.pushes)).toEqual([11, 12, 15])
    expect(h.pushes.at(-1)!.kind).toBe('progress') // only change events are filtered
    const again = h.f.takeover() // this worker leads next: from the mark too
    expect(again[0]).toMatchObject({ method: 'subscribe', args: [7, { gte: 'a' }, 15] })
  })

  it("a closing leader's mark moves the subscription's mark (only the current leader's); the client never sees it", () => {
    const h = harness()
    h.f.receive({ kind: 'leader', id: 'L1', term: 1 })
    h.f.send([{ id: 3, method: 'subscribe', args: [7, {}] }])
    h.f.receive({ kind: 'results', to: 'me', answers: [ok(3, 10)] })
    h.f.receive({ kind: 'push', from: 'L0', to: 'me', push: { kind: 'mark', subscription: 7, generation: 30 } }) // not the leader
    h.f.receive({ kind: 'push', from: 'L1', to: 'me', push: { kind: 'mark', subscription: 7, generation: 20 } })
    h.f.receive({ kind: 'push', from: 'L1', to: 'me', push: event(7, 20) }) // at the mark: a repeat
    expect(h.pushes).toEqual([])
    h.f.receive({ kind: 'leader', id: 'L2', term: 2 })
    const again = h.sent.filter((m) => m.kind === 'call' && m.to === 'L2').flatMap((m) => (m.kind === 'call' ? m.calls : []))
    expect(again.map((c) => c.args)).toEqual([[7, {}, 20]])
  })

  it('asks who leads, holds calls until a leader speaks, then sends them to it with the lowest unanswered id', () => {
    const h = harness()
    expect(h.sent).toEqual([{ kind: 'who' }])
    h.f.send([put(1), put(2)])
    expect(h.calls('L1')).toEqual([])
    h.f.receive({ kind: 'leader', id: 'L1', term: 1 })
    expect(h.calls('L1')).toEqual([1, 2])
    h.f.receive({ kind: 'results', to: 'me', answers: [ok(1)] })
    h.f.send([put(3)])
    expect(h.sent.at(-1)).toMatchObject({ kind: 'call', to: 'L1', acked: 2 })
    expect(h.answers.map((a) => a.id)).toEqual([1])
  })

  it('a closing leader\'s "not run" holds the call for the next leader; new calls wait too; all go to the next one with their ids', () => {
    const h = harness()
    h.f.receive({ kind: 'leader', id: 'L1', term: 1 })
    h.f.send([put(1), put(2), { id: 3, method: 'subscribe', args: [7, {}] }])
    h.f.receive({ kind: 'results', to: 'me', answers: [ok(3, undefined)] })
    h.f.receive({ kind: 'not-run', from: 'L1', to: 'me', ids: [2] })
    h.f.send([put(4)]) // no leader now: held
    expect(h.calls('L1')).toEqual([1, 2, 3])
    h.f.receive({ kind: 'leader', id: 'L2', term: 2 })
    // 1 may have run at L1 (no answer yet): L2 decides from L1's record; the subscription is made again
    const toL2 = h.sent.filter((m) => m.kind === 'call' && m.to === 'L2').flatMap((m) => (m.kind === 'call' ? m.calls : []))
    expect(toL2.filter((c) => c.id > 0).map((c) => c.id)).toEqual([1, 2, 4])
    expect(toL2.filter((c) => c.id < 0).map((c) => [c.method, c.args[0]])).toEqual([['subscribe', 7]])
  })

  it('the first answer wins: a late answer from the old leader and a copy from the new one reach the client once', () => {
    const h = harness()
    h.f.receive({ kind: 'leader', id: 'L1', term: 1 })
    h.f.send([put(1), put(2)])
    h.f.receive({ kind: 'leader', id: 'L2', term: 2 }) // before L1's answers arrive
    expect(h.calls('L2')).toEqual([1, 2])
    h.f.receive({ kind: 'results', to: 'me', answers: [ok(1)] }) // from L1, late
    h.f.receive({ kind: 'not-run', from: 'L1', to: 'me', ids: [2] }) // late: 2 is L2's now, not held back
    h.f.receive({ kind: 'results', to: 'me', answers: [ok(1), ok(2)] }) // from L2: 1 from the record, 2 run
    expect(h.answers.map((a) => a.id)).toEqual([1, 2])
    h.f.send([put(3)])
    expect(h.calls('L2')).toEqual([1, 2, 3]) // L2 still leads
  })

  it('an announcement of a lower or equal term is old news', () => {
    const h = harness()
    h.f.receive({ kind: 'leader', id: 'L2', term: 2 })
    h.f.receive({ kind: 'leader', id: 'L1', term: 1 })
    h.f.receive({ kind: 'leader', id: 'X', term: 2 })
    h.f.send([put(1)])
    expect(h.calls('L2')).toEqual([1])
    expect(h.calls('L1')).toEqual([])
    expect(h.calls('X')).toEqual([])
  })

  it('taking over hands back every pending call in call order, with the subscriptions to make again; failing answers them all', () => {
    const h = harness()
    h.f.receive({ kind: 'leader', id: 'L1', term: 1 })
    h.f.send([{ id: 1, method: 'subscribe', args: [9, {}] }, put(2), put(3)])
    h.f.receive({ kind: 'results', to: 'me', answers: [ok(1, undefined), ok(3)] })
    const waiting = h.f.takeover()
    expect(waiting.map((c) => [c.id < 0 ? 'again' : c.id, c.method])).toEqual([['again', 'subscribe'], [2, 'put']])
    const g = harness()
    g.f.send([put(1), put(2)])
    g.f.fail({ name: 'QuotaExceededError', message: 'full' })
    expect(g.answers).toEqual([1, 2].map((id) => ({ id, result: { ok: false, error: { name: 'QuotaExceededError', message: 'full' } } })))
  })

  it('answers to calls it made itself (subscriptions made again) never reach the client; large binary values read are transferred on', () => {
    const h = harness()
    h.f.receive({ kind: 'leader', id: 'L1', term: 1 })
    h.f.send([{ id: 1, method: 'subscribe', args: [4, {}] }, { id: 2, method: 'get', args: ['bin'] }, { id: 3, method: 'get', args: ['small'] }])
    h.f.receive({ kind: 'results', to: 'me', answers: [ok(1, undefined)] })
    h.f.receive({ kind: 'leader', id: 'L2', term: 2 })
    const again = h.sent.flatMap((m) => (m.kind === 'call' && m.to === 'L2' ? m.calls : [])).find((c) => c.id < 0)!
    const bytes = new Uint8Array(TRANSFER_MIN_BYTES)
    const small = new Uint8Array(TRANSFER_MIN_BYTES - 1) // copying costs less than moving
    h.f.receive({ kind: 'results', to: 'me', answers: [ok(again.id, undefined), ok(2, bytes), ok(3, small)] })
    expect(h.answers.map((a) => a.id)).toEqual([1, 2, 3])
    expect(h.transfers.at(-1)).toEqual([bytes.buffer])
  })
})
