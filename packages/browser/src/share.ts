// Sharing one database between tabs. The worker that holds the Web Lock `cowdb:<name>` owns the
// files: the leader. A worker that cannot get it (the database is open in another tab, or by an
// earlier openDB in this page) is a follower: it forwards its client's calls to the leader over a
// BroadcastChannel and relays the answers, events and progress back. Its own request for the lock
// waits; when the leader goes (close(), the tab closing, a crash), the lock passes to a follower,
// which opens the files (recovery) and leads from then on, announcing itself to the others.
//
// A call the old leader never received is sent again. A call it received but never answered (its
// tab died mid-call) is sent again if it only reads; a write is rejected with ClosedError saying
// it may or may not have committed, since nobody can know.

import type { Call, EventMessage, Method, Result, WireError } from './protocol.js'

/** Messages on the channel. `to`/`from` are worker ids; a leader's messages have no `from`. */
export type ShareMessage =
  | { kind: 'call'; from: string; id: number; calls: Call[] }
  | { kind: 'reply'; to: string; id: number; results: Result[] }
  /** The leader is closing and did not run these calls: send them to the next leader. */
  | { kind: 'not-leader'; to: string; id: number }
  | { kind: 'event'; to: string; message: EventMessage }
  | { kind: 'leader' }

/** Calls that only read: safe to send again when the leader died without answering. */
const READS = new Set<Method>(['get', 'getMany', 'scan', 'count', 'snapshots', 'diff', 'stats', 'metrics', 'verify', 'branches', 'getRetention', 'space', 'inspect', 'role', 'closeReader', 'unsubscribe'])

type Pending = { calls: Call[]; resolve: (r: Result[]) => void; sent: boolean }

/** A follower's side: forwards batches to the leader, and keeps what it must redo after a change of leader. */
export class Follower {
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  /** The subscriptions this follower's client holds, to make again on a new leader. */
  private readonly subscriptions = new Map<number, unknown[]>()

  constructor(
    readonly me: string,
    private readonly channel: BroadcastChannel,
  ) {}

  /** Sends a batch to the leader; resolves with its results. */
  call(calls: Call[]): Promise<Result[]> {
    for (const c of calls) {
      if (c.method === 'subscribe') this.subscriptions.set(c.args[0] as number, c.args)
      if (c.method === 'unsubscribe') this.subscriptions.delete(c.args[0] as number)
    }
    return new Promise((resolve) => {
      const id = this.nextId++
      this.pending.set(id, { calls, resolve, sent: true })
      this.channel.postMessage({ kind: 'call', from: this.me, id, calls } satisfies ShareMessage)
    })
  }

  /** Handles a message addressed to this follower (or to every follower). */
  receive(m: ShareMessage, toClient: (e: EventMessage) => void): void {
    if (m.kind === 'reply') {
      const p = this.pending.get(m.id)
      this.pending.delete(m.id)
      p?.resolve(m.results)
    } else if (m.kind === 'not-leader') {
      const p = this.pending.get(m.id)
      if (p) p.sent = false // never ran: the next leader gets it
    } else if (m.kind === 'event') {
      toClient(m.message)
    } else if (m.kind === 'leader') {
      this.redo((calls) => this.call(calls))
    }
  }

  /**
   * A new leader exists (another worker, or this one: `run` runs calls locally then). Calls the
   * old leader never ran go again; calls it may have run go again if they only read; the rest
   * fail. Subscriptions are made again, on the new leader.
   */
  redo(run: (calls: Call[]) => Promise<Result[]>): void {
    const pending = [...this.pending.values()]
    this.pending.clear()
    for (const p of pending) {
      if (!p.sent) {
        void run(p.calls).then(p.resolve)
        continue
      }
      const each = p.calls.map((c): Promise<Result> => (READS.has(c.method) ? run([c]).then((r) => r[0]!) : Promise.resolve({ ok: false, error: lost(c) })))
      void Promise.all(each).then(p.resolve)
    }
    const again = [...this.subscriptions.values()].map((args) => ({ method: 'subscribe' as const, args }))
    if (again.length) void run(again)
  }

  /** No leader can be had (taking over failed): every unanswered call fails with `error`. */
  fail(error: WireError): void {
    for (const p of this.pending.values()) p.resolve(p.calls.map(() => ({ ok: false, error })))
    this.pending.clear()
  }
}

function lost(c: Call): WireError {
  return {
    name: 'ClosedError',
    message: `cowdb: the tab that had the database open went away while running ${c.method}(); it may or may not have taken effect (read to check)`,
  }
}
