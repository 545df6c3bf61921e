// Sharing one database between tabs: a follower's side. The worker that holds the Web Lock
// `cowdb:<name>` owns the files (the leader); a worker that cannot get it follows: it forwards its
// client's calls to the leader over the BroadcastChannel `cowdb:<name>` and relays answers, change
// events and progress back, while its own request for the lock waits. When the leader goes
// (close(), its tab closing, a crash) the lock passes to a follower, which opens the files and
// announces itself with a higher term.
//
// Handover never fails a call that did not run, and never runs a write twice. Every call keeps
// the id its client gave it. A call goes to the leader this follower knows; until that leader
// answers, it stays pending. A closing leader answers "not run" to what it did not start; when a
// new leader announces itself, every pending call goes to it, with the same id, whatever the old
// one said or did not say. The new leader knows from the old one's record (call-log.ts) which
// writes already ran, and answers those from the record. The first answer to arrive wins.

import { Marks } from './marks.js'
import type { Client } from './owner.js'
import { ownedBuffers, type Call, type ShareMessage, type WireError } from './protocol.js'

type Pending = { call: Call; to?: string }

export class Follower {
  /** The leader calls go to; none while the last one is closing and the next has not spoken. */
  private leader: string | undefined
  /** The last leader announced: change events from any other are late (a new one catches up). */
  private current: string | undefined
  /** Where each subscription stands, to catch up from on a new leader and to drop repeats. */
  private readonly marks = new Marks()
  /** The highest term announced so far: an announcement of a lower or equal term is old news. */
  private term = 0
  /** Calls without an answer, by id, in call order. */
  private readonly pending = new Map<number, Pending>()
  /** The subscribe calls this client holds, to make again on a new leader. */
  private readonly subscriptions = new Map<number, Extract<Call, { method: 'subscribe' }>>()
  /** Ids of internal calls (subscriptions made again): negative, so they never meet a client's. */
  private nextInternal = -1
  /** One past the highest id seen: `acked` when nothing is pending. */
  private seen = 1

  constructor(
    private readonly me: string,
    private readonly post: (m: ShareMessage) => void,
    /** This worker's own client: answers and pushes go to it. */
    private readonly client: Client,
  ) {
    post({ kind: 'who' })
  }

  /** Forwards the client's calls to the leader (or holds them until one is known). Cost: one channel message. */
  send(calls: Call[]): void {
    for (const c of calls) {
      this.pending.set(c.id, { call: c })
      this.seen = Math.max(this.seen, c.id + 1)
      if (c.method === 'subscribe') this.subscriptions.set(c.args[0], c)
      if (c.method === 'unsubscribe') (this.subscriptions.delete(c.args[0]), this.marks.drop(c.args[0]))
    }
    if (this.leader) this.forward(calls)
  }

  /** Handles a channel message meant for this follower (or for every worker). Cost: O(answers). */
  receive(m: ShareMessage): void {
    if (m.kind === 'results') {
      // the channel copied them: binary values read are this worker's to transfer on
      const transfer = new Set<ArrayBuffer>()
      const mine = m.answers.filter((a) => {
        const p = this.pending.get(a.id)
        if (!p) return false // answered already (by an earlier or a later leader)
        this.pending.delete(a.id)
        if (p.call.method === 'subscribe' && a.result.ok && typeof a.result.value === 'number') this.marks.listening(p.call.args[0], a.result.value)
        if (a.result.ok) for (const b of ownedBuffers(p.call.method, a.result.value)) transfer.add(b)
        return a.id > 0
      })
      if (mine.length) this.client.answer(mine, [...transfer])
    } else if (m.kind === 'not-run') {
      for (const id of m.ids) {
        const p = this.pending.get(id)
        if (p?.to === m.from) p.to = undefined
      }
      if (this.leader === m.from) this.leader = undefined // it is closing: hold calls for the next one
    } else if (m.kind === 'leader') {
      if (m.term <= this.term) return // a repeat, or a late message of an older leader
      const changed = this.term > 0
      this.term = m.term
      this.leader = this.current = m.id
      const calls = [...this.pending.values()].filter((p) => p.to !== m.id).map((p) => p.call)
      // subscriptions first, so the writes held for this leader have events, not a catch-up
      if (changed) this.resubscribe((again) => calls.unshift(...again))
      this.forward(calls)
    } else if (m.kind === 'push') {
      const p = m.push
      if (p.kind === 'mark') return void (m.from === this.current && this.marks.listening(p.subscription, p.generation))
      if (p.kind === 'event' && (m.from !== this.current || !this.marks.accept(p.subscription, p.event))) return
      this.client.push(p)
    } else if (m.kind === 'error') {
      this.client.push({ kind: 'error', error: m.error })
    } else if (m.kind === 'catalog') {
      this.client.push({ kind: 'catalog', change: m.change })
    }
  }

  /**
   * This worker leads now: returns every pending call in call order, to run here (through the
   * record, like any forwarded call), and the subscriptions to make again. The follower is done.
   */
  takeover(): Call[] {
    const calls = [...this.pending.values()].map((p) => p.call)
    this.pending.clear()
    const again: Call[] = []
    this.resubscribe((c) => again.push(...c))
    return [...again, ...calls]
  }

  /** No leader can be had (taking over failed): every pending call fails with `error`. */
  fail(error: WireError): void {
    const answers = [...this.pending.keys()].filter((id) => id > 0).map((id) => ({ id, result: { ok: false as const, error } }))
    this.pending.clear()
    if (answers.length) this.client.answer(answers, [])
  }

  /** This follower closes: the leader may forget it. */
  bye(): void {
    this.post({ kind: 'bye', from: this.me })
  }

  private forward(calls: Call[]): void {
    if (!calls.length || !this.leader) return
    const to = this.leader
    for (const c of calls) this.pending.get(c.id)!.to = to
    let acked = this.seen
    for (const id of this.pending.keys()) if (id > 0 && id < acked) acked = id
    this.post({ kind: 'call', from: this.me, to, calls, acked })
  }

  private resubscribe(send: (calls: Call[]) => void): void {
    // from where each subscriber stands: the new leader sends what it missed first
    const again = [...this.subscriptions.values()].map((c): Call => ({ ...c, id: this.nextInternal--, args: [c.args[0], c.args[1], this.marks.of(c.args[0])] }))
    for (const c of again) this.pending.set(c.id, { call: c })
    send(again)
  }
}
