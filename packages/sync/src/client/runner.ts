// One sync runner per (local database, remote). Apps call sync() in every tab of an app (they
// cannot know which tab is first), and a page may call it twice; two engines on one local sync
// state would push the same changes under two push ids and overwrite each other's state. So a
// handle runs its engine only while it holds a lock named after the database and the remote:
//
//  - the runner holds the lock, runs the engine, and posts its status and its 'status',
//    'conflict', 'progress' and 'synced' events on a channel of the same name;
//  - the other handles (standbys) wait in the lock's queue, mirror what the runner posts, and
//    send syncNow() to it as a request with an id; the runner answers after that round. A request
//    nobody answered (no runner yet, or it went away first) is sent again when the next runner
//    announces itself, so it waits for that runner instead of hanging on one that is gone;
//  - when the runner stops or its tab closes, the lock passes to the next waiting handle, whose
//    engine resumes from the saved sync state (start() finishes an interrupted round). One
//    that cannot start turns to 'error', stops, and passes the lock on.
//
// Browser tabs and workers share the lock through Web Locks and talk on a BroadcastChannel, both
// keyed by the database's name (`db.name`, the browser client's). Elsewhere (Node), and for
// databases without a name (a core Database: one process owns its store), the lock is an
// in-process queue keyed by the database object, and messages are delivered in process.

import { BranchView } from '@cowdb/core'
import { SyncHttpError, SyncOfflineError } from './http.js'
import type { SyncHandle, SyncStatus } from './engine.js'
import type { SyncDatabase } from './local.js'
import type { UndoResult } from './own-edits.js'
import type { Progress } from './transfer.js'

/** What runs the rounds (engine.ts): a handle that must be started once. */
export interface Engine extends SyncHandle {
  start(): Promise<void>
}

/** The part of the Web Locks API used here (navigator.locks, or the in-process queue below). */
type Locks = { request(name: string, opts: { ifAvailable?: boolean; signal?: AbortSignal }, cb: (lock: unknown) => Promise<void>): Promise<unknown> }
/** The part of BroadcastChannel used here. */
type Channel = { postMessage(m: Message): void; onmessage: ((e: { data: Message }) => void) | null; close(): void }
type Transport = { locks: Locks; channel(name: string): Channel }

/** An error as it crosses the channel (structured clone keeps neither the class nor `status`). */
type WireError = { name: string; message: string; status?: number }
type WireStatus = Omit<SyncStatus, 'error'> & { error?: WireError }
type Message =
  | { t: 'hello' }
  | { t: 'status'; status: WireStatus; progress: Progress | null; announce?: true }
  | { t: 'event'; type: 'conflict' | 'progress' | 'synced'; detail: unknown }
  | { t: 'sync'; id: string; op?: Op }
  | { t: 'done'; id: string; status: WireStatus; result?: UndoResult | null }
  | { t: 'failed'; id: string; error: WireError }

/** What a standby asks the runner to do: syncNow() (the default), undo() or redo(). */
type Op = 'undo' | 'redo'
type Waiter = { op?: Op; resolve: (answer: never) => void; reject: (e: unknown) => void }

const FORWARDED = ['status', 'conflict', 'progress', 'synced'] as const
const stopped = () => new Error('cowdb-sync: stopped')

const toWire = (e: unknown): WireError => {
  const err = e instanceof Error ? e : new Error(String(e))
  return { name: err.name, message: err.message, ...(err instanceof SyncHttpError ? { status: err.status } : {}) }
}
const fromWire = (w: WireError): Error => {
  if (w.name === 'SyncHttpError') return new SyncHttpError(w.status ?? 0, w.message)
  if (w.name === 'SyncOfflineError') return new SyncOfflineError(w.message)
  const e = w.name === 'TypeError' ? new TypeError(w.message) : new Error(w.message)
  if (e.name !== w.name) e.name = w.name
  return e
}
const statusToWire = (s: SyncStatus): WireStatus => {
  const { error, ...rest } = s
  return error ? { ...rest, error: toWire(error) } : rest
}
const statusFromWire = (s: WireStatus): SyncStatus => {
  const { error, ...rest } = s
  return { ...rest, ...(error ? { error: fromWire(error) } : {}), runner: false }
}

// The in-process transport: a lock queue and a message bus per name, in this module's memory.
const queues = new Map<string, (() => void)[]>()
const localLocks: Locks = {
  async request(name, opts, cb) {
    const queue = queues.get(name)
    if (!queue) queues.set(name, [])
    else if (opts.ifAvailable) return cb(null)
    else {
      await new Promise<void>((resolve, reject) => {
        const signal = opts.signal
        const grant = () => {
          signal?.removeEventListener('abort', abort)
          resolve()
        }
        const abort = () => {
          const i = queue.indexOf(grant)
          if (i >= 0) queue.splice(i, 1)
          reject(new DOMException('the lock request was aborted', 'AbortError'))
        }
        if (signal?.aborted) return abort()
        signal?.addEventListener('abort', abort, { once: true })
        queue.push(grant)
      })
    }
    try {
      return await cb({ name })
    } finally {
      const next = queues.get(name)!.shift()
      if (next) next()
      else queues.delete(name)
    }
  },
}
const buses = new Map<string, Set<LocalChannel>>()
class LocalChannel implements Channel {
  onmessage: ((e: { data: Message }) => void) | null = null
  private closed = false
  constructor(private readonly name: string) {
    if (!buses.has(name)) buses.set(name, new Set())
    buses.get(name)!.add(this)
  }
  postMessage(m: Message): void {
    // asynchronous, in order, never to the sender: as a BroadcastChannel delivers
    for (const c of buses.get(this.name) ?? []) if (c !== this) queueMicrotask(() => c.closed || c.onmessage?.({ data: m }))
  }
  close(): void {
    this.closed = true
    const set = buses.get(this.name)
    set?.delete(this)
    if (set?.size === 0) buses.delete(this.name)
  }
}
const inProcess: Transport = { locks: localLocks, channel: (name) => new LocalChannel(name) }

const ids = new WeakMap<object, number>()
let nextId = 0

/** The name of a browser database (the client's `name`), or undefined (a core Database, a branch view). */
export function browserName(db: SyncDatabase): string | undefined {
  const named = (db as { name?: unknown }).name
  return typeof named === 'string' && !(db instanceof BranchView) ? named : undefined
}

/**
 * The lock's name and transport for a database and remote (see the note at the top). `named`:
 * the browser database's name, for the worker that owns it (its core Database has none).
 */
function place(db: SyncDatabase, remote: string, named = browserName(db)): { name: string; transport: Transport } {
  const g = globalThis as { navigator?: { locks?: Locks }; BroadcastChannel?: new (name: string) => Channel }
  if (named !== undefined) {
    const name = `cowdb-sync:db=${named}:${remote}`
    const locks = g.navigator?.locks
    const Broadcast = g.BroadcastChannel
    return { name, transport: locks && Broadcast ? { locks, channel: (n) => new Broadcast(n) } : inProcess }
  }
  if (!ids.has(db)) ids.set(db, ++nextId)
  return { name: `cowdb-sync:obj=${ids.get(db)}:${remote}`, transport: inProcess }
}

/**
 * The handle sync() returns: runs `engine` if it gets the lock of (db, remote) at once (then
 * resolves after the engine started), else resolves at once as a standby that mirrors the runner
 * and takes over when the lock comes to it. Cost: one lock request; a standby, one message per
 * runner event.
 */
export async function runOnce(db: SyncDatabase, remote: string, engine: Engine, named?: string): Promise<SyncHandle> {
  const { name, transport } = place(db, remote, named)
  const handle = new SharedHandle(engine, name, transport)
  if (!(await handle.tryRun())) handle.queue()
  return handle
}

/**
 * A handle that only mirrors the runner of (db, remote) and sends it requests, and never runs
 * itself: a page's handle when the worker that owns the database runs the sync (host.ts).
 * Cost: one message per runner event.
 */
export function mirrorOnly(db: SyncDatabase, remote: string, engine: Engine, afterStop: () => void): SyncHandle {
  const { name, transport } = place(db, remote)
  const handle = new SharedHandle(engine, name, transport, afterStop)
  handle.listen()
  return handle
}

class SharedHandle extends EventTarget implements SyncHandle {
  private role: 'standby' | 'runner' | 'stopped' = 'standby'
  private ran = false
  private stopping: Promise<void> | undefined
  private started: Promise<void> | undefined
  private mirror: SyncStatus = { state: 'starting', device: '', cursor: 0, head: 0, live: false, conflicts: 0, runner: false, worker: false }
  private mirrorProgress: Progress | null = null
  private readonly channel: Channel
  private readonly pending = new Map<string, Waiter>()
  private readonly abort = new AbortController()
  private release!: () => void
  private readonly held = new Promise<void>((r) => (this.release = r))

  constructor(
    private readonly engine: Engine,
    private readonly lockName: string,
    private readonly transport: Transport,
    /** Called once stopped (a page's handle of a worker-hosted sync tells the host). */
    private readonly afterStop?: () => void,
  ) {
    super()
    this.channel = transport.channel(lockName)
    this.channel.onmessage = (e) => this.onMessage(e.data)
    for (const type of FORWARDED) engine.addEventListener(type, (e) => this.fromEngine(type, e as CustomEvent))
  }

  get status(): SyncStatus {
    if (this.role === 'standby' || (this.role === 'stopped' && !this.ran)) return this.mirror
    return { ...this.engine.status, runner: this.role === 'runner' }
  }

  get progress(): Progress | null {
    return this.role === 'runner' ? this.engine.progress : this.mirrorProgress
  }

  /** Takes the lock if nobody holds it, and runs; false if another handle runs. */
  tryRun(): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.transport.locks
        .request(this.lockName, { ifAvailable: true }, async (lock) => {
          if (!lock) return resolve(false)
          try {
            await this.run()
          } catch (e) {
            await this.fail(e)
            return reject(e)
          }
          resolve(true)
          await this.held
        })
        .catch(reject)
    })
  }

  /** Asks the runner for its status (a standby that will not run: mirrorOnly). */
  listen(): void {
    this.post({ t: 'hello' })
  }

  /** Waits in the lock's queue (in the background) to run after the current runner. */
  queue(): void {
    this.post({ t: 'hello' })
    this.transport.locks
      .request(this.lockName, { signal: this.abort.signal }, async () => {
        if (this.role === 'stopped') return
        try {
          await this.run()
        } catch (e) {
          return this.fail(e) // the lock goes to the next handle
        }
        await this.held
      })
      .catch(() => {}) // aborted by stop()
  }

  syncNow(): Promise<SyncStatus> {
    if (this.role === 'stopped' || this.stopping) return Promise.reject(stopped())
    if (this.role === 'runner') return this.runnerSync()
    return this.ask<SyncStatus>()
  }

  undo(): Promise<UndoResult | null> {
    return this.edit('undo')
  }

  redo(): Promise<UndoResult | null> {
    return this.edit('redo')
  }

  private async edit(op: Op): Promise<UndoResult | null> {
    if (this.role === 'stopped' || this.stopping) throw stopped()
    if (this.role === 'standby') return this.ask<UndoResult | null>(op)
    await this.started
    return this.engine[op]()
  }

  /** Asks the runner (this handle is a standby): sent again to each new runner until answered. */
  private ask<T>(op?: Op): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const id = crypto.randomUUID()
      this.pending.set(id, { ...(op ? { op } : {}), resolve: resolve as (a: never) => void, reject })
      this.post({ t: 'sync', id, ...(op ? { op } : {}) })
    })
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown()
    return this.stopping
  }

  private async shutdown(): Promise<void> {
    if (this.role === 'runner') {
      try {
        await this.started?.catch(() => {})
        await this.engine.stop()
      } finally {
        this.release()
      }
    } else {
      this.abort.abort()
      this.mirror = { ...this.mirror, state: 'stopped', live: false }
    }
    this.role = 'stopped'
    this.close()
    this.afterStop?.()
    this.dispatchEvent(new CustomEvent('status', { detail: this.status }))
  }

  private async run(): Promise<void> {
    this.role = 'runner'
    this.ran = true
    this.started = this.engine.start()
    await this.started
    this.post({ t: 'status', status: statusToWire(this.engine.status), progress: this.engine.progress, announce: true })
    this.dispatchEvent(new CustomEvent('status', { detail: this.status }))
    // what this handle asked while it was a standby, and nobody answered
    for (const [id, w] of this.pending) {
      this.pending.delete(id)
      ;(w.op ? this.engine[w.op]() : this.runnerSync()).then(w.resolve as (a: unknown) => void, w.reject)
    }
  }

  /** A runner that could not start: status 'error', the lock released, the handle stopped. */
  private async fail(e: unknown): Promise<void> {
    await this.engine.stop().catch(() => {})
    this.role = 'stopped'
    this.mirror = { ...this.engine.status, state: 'error', error: e as Error, runner: false }
    this.ran = false
    this.close(e)
    this.dispatchEvent(new CustomEvent('status', { detail: this.status }))
  }

  /** Leaves the channel; what this handle still waits for fails with `why`. */
  private close(why: unknown = stopped()): void {
    this.channel.close()
    for (const w of this.pending.values()) w.reject(why)
    this.pending.clear()
  }

  /** syncNow() on the runner's engine, once it started (a handle just promoted may still be starting). */
  private async runnerSync(): Promise<SyncStatus> {
    await this.started
    await this.engine.syncNow()
    return this.status
  }

  private post(m: Message): void {
    if (this.role !== 'stopped') this.channel.postMessage(m)
  }

  /** The runner's engine events: dispatched on this handle, and posted to the standbys. */
  private fromEngine(type: (typeof FORWARDED)[number], e: CustomEvent): void {
    if (this.role !== 'runner') return
    const s = this.engine.status
    if (type === 'status' || type === 'synced') {
      this.dispatchEvent(new CustomEvent(type, { detail: this.status }))
      // a runner that stops hands over: its 'stopped' is not the standbys' state
      if (type === 'status' && s.state !== 'stopped') this.post({ t: 'status', status: statusToWire(s), progress: this.engine.progress })
      if (type === 'synced') this.post({ t: 'event', type, detail: null })
      return
    }
    this.dispatchEvent(new CustomEvent(type, { detail: e.detail }))
    this.post({ t: 'event', type, detail: e.detail })
  }

  private onMessage(m: Message): void {
    if (this.role === 'runner') {
      if (this.stopping) return // its successor answers
      if (m.t === 'hello') this.post({ t: 'status', status: statusToWire(this.engine.status), progress: this.engine.progress })
      if (m.t === 'sync') void this.serve(m.id, m.op)
      return
    }
    if (this.role !== 'standby') return
    if (m.t === 'status') {
      this.mirror = statusFromWire(m.status)
      this.mirrorProgress = m.progress
      this.dispatchEvent(new CustomEvent('status', { detail: this.mirror }))
      if (m.announce) for (const [id, w] of this.pending) this.post({ t: 'sync', id, ...(w.op ? { op: w.op } : {}) }) // a new runner: ask again
    } else if (m.t === 'event') {
      if (m.type === 'progress') this.mirrorProgress = m.detail as Progress
      this.dispatchEvent(new CustomEvent(m.type, { detail: m.type === 'synced' ? this.mirror : m.detail }))
    } else if (m.t === 'done' || m.t === 'failed') {
      const w = this.pending.get(m.id)
      if (!w) return // another handle's, or answered already
      this.pending.delete(m.id)
      if (m.t === 'failed') w.reject(fromWire(m.error))
      else (w.resolve as (a: unknown) => void)(w.op ? (m.result ?? null) : statusFromWire(m.status))
    }
  }

  /** Runs a standby's syncNow(), undo() or redo() and answers it; a runner stopping leaves it to the next one. */
  private async serve(id: string, op?: Op): Promise<void> {
    try {
      const result = op ? await this.edit(op) : (await this.runnerSync(), undefined)
      this.post({ t: 'done', id, status: statusToWire(this.engine.status), ...(op ? { result } : {}) })
    } catch (e) {
      if (!this.stopping) this.post({ t: 'failed', id, error: toWire(e) })
    }
  }
}
