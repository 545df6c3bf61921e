// The owner's side of the worker: runs calls on the engine for its own client and for the other
// tabs' workers, answers each call as it settles (answers to one client coalesce per microtask),
// and keeps each client's subscriptions. Writes forwarded by another tab go through the call
// record (call-log.ts), so a write is never run twice across a change of owner.

import type { Database, Progress, Reader } from '@cowdb/core'
import type { CallLog } from './call-log.js'
import { subscribeFrom } from './catch-up.js'
import type { Publisher } from './publisher.js'
import { METHODS, ownedBuffers, toWire, type Answer, type Args, type Call, type Engine, type EngineMethod, type Method, type Push, type Result, type SessionApi, type SessionMethod, type WireError } from './protocol.js'

/** The engine as the owner uses it: the callable methods, plus subscribe and close. */
export type OwnedEngine = Engine & Pick<Database, 'subscribe' | 'close'>

/** Where one client's answers and pushes go: this worker's own client, or another tab's worker. */
export interface Client {
  answer(answers: Answer[], transfer: ArrayBuffer[]): void
  push(p: Push): void
}

type EngineArgs = { [M in EngineMethod]: Args<M> }
type SessionArgs = { [M in SessionMethod]: Args<M> }
/** Dispatch is typed: the method name picks its argument tuple (no cast, checked against Database). */
function callEngine<M extends EngineMethod>(engine: { [K in EngineMethod]: (...a: EngineArgs[K]) => unknown }, method: M, args: EngineArgs[M]): unknown {
  return engine[method](...args)
}
function callSession<M extends SessionMethod>(session: { [K in SessionMethod]: (...a: SessionArgs[K]) => unknown }, method: M, args: SessionArgs[M]): unknown {
  return session[method](...args)
}
const SESSION: Record<SessionMethod, true> = { subscribe: true, unsubscribe: true, role: true, warm: true }
const isSession = (c: Call): c is Extract<Call, { method: SessionMethod }> => Object.hasOwn(SESSION, c.method)

export class Owner {
  private closing = false
  /** Every call started and not yet answered: close() waits for them. */
  private readonly inflight = new Set<Promise<void>>()
  /** Forwarded writes running now, by `${origin}:${id}`: a copy that arrives meanwhile waits for the same result. */
  private readonly running = new Map<string, Promise<Result>>()
  /** Each client's subscriptions, by `${origin}:${subscription}`: their ends, and where a closing owner says they stand. */
  private readonly subscriptions = new Map<string, Subscribed>()
  private readonly outboxes = new Map<Client, Outbox>()
  /** Readers this owner opened and that are not closed yet: a pinned read at any other is a conflict. */
  private readonly readers = new Set<number>()

  constructor(
    private readonly engine: OwnedEngine,
    /** The record of forwarded writes; none when the database is not shared. */
    private readonly log: CallLog | undefined,
    /** This worker's id: the origin of its own client's calls. */
    private readonly me: string,
  ) {}

  /** Publishes pages for the tabs that read from shared memory (publisher.ts), once one does. */
  publisher: Publisher | undefined

  /** When this owner started: its term when there is no record (no OPFS), still larger than any earlier owner's. */
  private readonly startedAt = Date.now()

  /** The owner's term (see CallLog.term); without a record, the time it started. */
  get term(): number {
    return this.log?.term ?? this.startedAt
  }

  /** Set once close() starts: forwarded calls are answered "not run" from then on. */
  get isClosing(): boolean {
    return this.closing
  }

  /**
   * Runs `calls` of client `origin` in order and answers each as it settles. With `dedupe` (calls
   * another tab sent, possibly to an earlier owner) a write runs only if no owner ran it: one that
   * ran is answered from the record, one whose owner died running it is answered ClosedError
   * ("may or may not have taken effect"). Cost: the calls, plus one record write per batch of
   * forwarded writes and one per forwarded write settled.
   */
  run(origin: string, calls: Call[], client: Client, dedupe: boolean): void {
    const out = this.outboxFor(client)
    const log = dedupe ? this.log : undefined
    const fresh: number[] = []
    const plan = calls.map((c): 'run' | 'record' | Result | Promise<Result> => {
      if (!log || METHODS[c.method] === 'read') return 'run'
      const prior = this.running.get(`${origin}:${c.id}`)
      if (prior) return prior
      const st = log.get(origin, c.id)
      if (st.state === 'done') return st.result
      if (st.state === 'started') return { ok: false, error: ambiguous(c.method) }
      fresh.push(c.id)
      return 'record'
    })
    let cannotRecord: WireError | undefined
    try {
      log?.started(origin, fresh)
    } catch (e) {
      cannotRecord = toWire(e)
    }
    calls.forEach((c, i) => {
      const p = plan[i]!
      let result: Result | Promise<Result>
      if (p === 'record' && cannotRecord) result = { ok: false, error: cannotRecord }
      else if (p === 'run') result = this.exec(origin, c, client)
      else if (p === 'record') {
        const key = `${origin}:${c.id}`
        result = this.exec(origin, c, client).then((r) => {
          this.running.delete(key)
          try {
            log!.done(origin, c.id, c.method === 'exportBackup' && r.ok ? { ok: false, error: lostAnswer(c.method) } : r)
          } catch {
            // unrecorded, it reads as "started": a later owner calls it ambiguous, never runs it again
          }
          return r
        })
        this.running.set(key, result)
      } else result = p
      if (!(result instanceof Promise)) return out.add(c.method, c.id, result)
      const done = result.then((r) => out.add(c.method, c.id, r))
      this.inflight.add(done)
      void done.finally(() => this.inflight.delete(done))
    })
  }

  /** A follower closed: its subscriptions end and its records go. Cost: O(subscriptions). */
  forget(origin: string): void {
    for (const [key, s] of this.subscriptions) if (key.startsWith(`${origin}:`)) (s.off(), this.subscriptions.delete(key))
    this.log?.drop(origin)
  }

  /** A follower has every answer below `acked`. Cost: O(its records). */
  acked(origin: string, acked: number): void {
    this.log?.forget(origin, acked)
  }

  /**
   * Stops taking forwarded calls, lets every started call finish and be answered, then closes the
   * engine (a checkpoint; the engine releases the files and the lock last). Rejects with the
   * engine's error (e.g. QuotaExceededError) after releasing everything anyway.
   */
  async close(): Promise<void> {
    this.closing = true
    this.publisher?.stop()
    while (this.inflight.size) await Promise.allSettled([...this.inflight])
    await new Promise((r) => setTimeout(r)) // answers go out (they flush in microtasks)
    await this.markSubscribers()
    for (const s of this.subscriptions.values()) s.off()
    this.subscriptions.clear()
    try {
      this.log?.close()
    } finally {
      await this.engine.close()
    }
  }

  /**
   * Closing, with every call answered and every event out: tells each other tab's subscriber its
   * head's generation, which it is now complete to, so the next owner has nothing to catch up
   * where nothing changed since (and no reset to send without history). Cost: O(subscriptions + heads).
   */
  private async markSubscribers(): Promise<void> {
    const marks = [...this.subscriptions.values()].filter((s) => s.mark)
    if (!marks.length) return
    const heads = await this.engine.branches({ internal: true }).catch(() => [])
    for (const s of marks) {
      const generation = heads.find((h) => h.name === s.branch)?.generation
      if (generation !== undefined) s.mark!(generation)
    }
  }

  private async exec(origin: string, c: Call, client: Client): Promise<Result> {
    try {
      if (isSession(c)) return { ok: true, value: await callSession(this.session(origin, client), c.method, c.args) }
      if (c.progress) {
        const opts = c.args[c.args.length - 1]
        if (opts !== null && typeof opts === 'object') Object.assign(opts, { onProgress: (progress: Progress) => client.push({ kind: 'progress', id: c.id, progress }) })
      }
      // a reader this owner did not open was pinned by the owner before it: that state is gone,
      // which to a transaction is a conflict (it runs again), not a closed database
      const reader = pinnedReader(c)
      if (reader !== undefined && !this.readers.has(reader)) return { ok: false, error: { name: 'ConflictError', message: 'cowdb: the state this read was pinned to is gone: the tab that owned the database changed (a transaction runs again)' } }
      const value = await callEngine(this.engine, c.method, c.args)
      if (c.method === 'openReader') this.readers.add((value as Reader).reader)
      if (c.method === 'closeReader') this.readers.delete(c.args[0])
      return { ok: true, value }
    } catch (e) {
      return { ok: false, error: toWire(e) }
    }
  }

  private session(origin: string, client: Client): SessionApi {
    return {
      subscribe: async (subscription, range, since) => {
        const key = `${origin}:${subscription}`
        const { off, generation } = await subscribeFrom(this.engine, range, since, (event) => client.push({ kind: 'event', subscription, event }))
        this.subscriptions.get(key)?.off()
        this.subscriptions.set(key, { off, branch: range.branch ?? 'main', mark: origin === this.me ? undefined : (generation) => client.push({ kind: 'mark', subscription, generation }) })
        return generation
      },
      unsubscribe: (subscription) => {
        const key = `${origin}:${subscription}`
        this.subscriptions.get(key)?.off()
        this.subscriptions.delete(key)
      },
      role: () => (origin === this.me ? 'leader' : 'follower'),
      warm: (reads) => this.publisher?.warm(reads),
    }
  }

  private outboxFor(client: Client): Outbox {
    let o = this.outboxes.get(client)
    if (!o) this.outboxes.set(client, (o = new Outbox(client)))
    return o
  }
}

/** A subscription the owner runs: its end; for another tab's, how to tell it where it stands. */
type Subscribed = { off: () => void; branch: string; mark?: (generation: number) => void }

/** One client's answers, sent together once per microtask. */
class Outbox {
  private answers: Answer[] = []
  private transfer = new Set<ArrayBuffer>()
  constructor(private readonly client: Client) {}

  add(method: Method, id: number, result: Result): void {
    if (this.answers.push({ id, result }) === 1) queueMicrotask(() => this.flush())
    if (result.ok) for (const b of ownedBuffers(method, result.value)) this.transfer.add(b)
  }

  private flush(): void {
    const answers = this.answers
    const transfer = [...this.transfer]
    this.answers = []
    this.transfer.clear()
    this.client.answer(answers, transfer)
  }
}

/** The reader a call reads at (a transaction's or an iterator's pinned state), if any. */
function pinnedReader(c: Call): number | undefined {
  const opts: unknown = c.method === 'get' ? c.args[1] : c.method === 'scan' ? c.args[0] : undefined
  const reader = typeof opts === 'object' && opts !== null ? (opts as { reader?: unknown }).reader : undefined
  return typeof reader === 'number' ? reader : undefined
}

/** A forwarded write whose owner died while running it. */
function ambiguous(method: Method): WireError {
  return { name: 'ClosedError', message: `cowdb: the tab that owned the database went away while running ${method}(); it may or may not have taken effect (read to check)` }
}

/** A write that ran, whose answer (too large to record) was lost with its owner. */
function lostAnswer(method: Method): WireError {
  return { name: 'ClosedError', message: `cowdb: ${method}() ran, but its answer was lost when the tab that owned the database went away; call it again` }
}
