// The worker entry. Each openDB() starts one. The worker that gets the Web Lock `cowdb:<name>`
// leads: it owns the OPFS files (no other worker can open them) and runs the calls of its own
// client and of every follower. A worker that cannot get the lock follows: its client's calls go
// to the leader over a BroadcastChannel, and it takes over when the leader goes (share.ts).
// With `share: false` a second opener waits `lockTimeout` ms for the lock, then LockedError.

import * as Comlink from 'comlink'
import { ClosedError, LockedError, type Database, type Progress } from '@cowdb/core'
import { METHODS, toWire, type BatchRequest, type BatchResponse, type Call, type EventMessage, type ProgressOptions, type OpenRequest, type Result, type WorkerApi } from './protocol.js'
import { Follower, type ShareMessage } from './share.js'
import { openEngine } from './engine.js'
import { UP } from './worker-start.js'

const LOCAL = 'local'
const me = crypto.randomUUID()
const allowed = new Set<string>(METHODS)

let db: Database | undefined
/** While this worker holds the lock but is still opening the files: calls wait for it. */
let opening: Promise<void> | undefined
let closing = false
let follower: Follower | undefined
/** Why this worker can't serve at all (it was promoted and could not open the files). */
let broken: unknown
let channel: BroadcastChannel | undefined
let clientPort: MessagePort | undefined
/** Each client's subscriptions, by `${origin}:${id}`: their ends. */
const subscriptions = new Map<string, () => void>()

async function settle(run: () => Promise<unknown>): Promise<Result> {
  try {
    return { ok: true, value: await run() }
  } catch (e) {
    return { ok: false, error: toWire(e) }
  }
}

/** Where a client's events and progress go: this worker's own client, or a follower. */
function sinkFor(origin: string): (m: EventMessage) => void {
  if (origin === LOCAL) return (m) => clientPort?.postMessage(m)
  return (message) => channel?.postMessage({ kind: 'event', to: origin, message } satisfies ShareMessage)
}

/** Options with `$progress: id` get an onProgress that reports to the client that asked. */
function withProgress(arg: unknown, sink: (m: EventMessage) => void): unknown {
  const id = (arg as ProgressOptions | null)?.$progress
  if (typeof id !== 'number') return arg
  return { ...(arg as object), onProgress: (p: Progress) => sink(['progress', id, p]) }
}

/** Runs a batch on the engine for a client (this worker's, or a follower's). In order: commits keep the order they were issued in. */
function run(calls: Call[], origin: string): Promise<Result[]> {
  const sink = sinkFor(origin)
  return Promise.all(
    calls.map((c) =>
      settle(async () => {
        if (!db) throw new ClosedError('cowdb: the database is closed')
        if (!allowed.has(c.method)) throw new TypeError(`cowdb: unknown method ${c.method}`)
        if (c.method === 'subscribe') {
          const [id, range] = c.args as [number, Parameters<Database['subscribe']>[0]]
          subscriptions.set(`${origin}:${id}`, await db.subscribe(range, (event) => sink(['event', id, event])))
          return
        }
        if (c.method === 'unsubscribe') {
          const key = `${origin}:${c.args[0] as number}`
          subscriptions.get(key)?.()
          subscriptions.delete(key)
          return
        }
        // a follower's calls come from another worker; this worker's own run here only when it leads
        if (c.method === 'role') return origin === LOCAL ? 'leader' : 'follower'
        const fn = (db as unknown as Record<string, (...a: unknown[]) => unknown>)[c.method]!
        return fn.apply(db, c.args.map((a) => withProgress(a, sink)))
      }),
    ),
  )
}

/** This worker's own client's calls: run here when leading, at the leader when following. */
function clientCall(calls: Call[]): Promise<Result[]> {
  if (broken !== undefined) return Promise.resolve(calls.map(() => ({ ok: false, error: toWire(broken) })))
  if (follower && opening) return opening.then(() => clientCall(calls), () => clientCall(calls)) // taking over: run here once open
  return follower ? follower.call(calls) : run(calls, LOCAL)
}

/** Opens the files and starts serving; a follower's unanswered calls and subscriptions come along. */
async function lead(req: OpenRequest, release: () => void): Promise<void> {
  try {
    db = await openEngine(req.name, req.options, {
      // Leave the channel before the lock goes: the next leader must be the only one that answers.
      release: () => {
        channel?.close()
        channel = undefined
        release()
      },
      onQuota: (info) => clientPort?.postMessage(['quota', info] satisfies EventMessage),
    })
  } catch (e) {
    release()
    throw e
  }
  const was = follower
  follower = undefined
  was?.redo((calls) => run(calls, LOCAL))
  channel?.postMessage({ kind: 'leader' } satisfies ShareMessage)
}

function onShareMessage(m: ShareMessage): void {
  if (m.kind === 'call') {
    if (closing) channel!.postMessage({ kind: 'not-leader', to: m.from, id: m.id } satisfies ShareMessage)
    else if (db || opening) void (opening ?? Promise.resolve()).then(() => run(m.calls, m.from)).then((results) => channel?.postMessage({ kind: 'reply', to: m.from, id: m.id, results } satisfies ShareMessage))
    return // a follower ignores other followers' calls
  }
  if (follower && (m.kind === 'leader' || m.to === me)) follower.receive(m, (e) => clientPort?.postMessage(e))
}

/** Waits up to `timeoutMs` for the exclusive lock (share: false); resolves with its release. */
function waitForLock(name: string, timeoutMs: number): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const ctl = new AbortController()
    const timer = setTimeout(() => ctl.abort(), timeoutMs)
    navigator.locks
      .request(name, { mode: 'exclusive', signal: ctl.signal }, () => {
        clearTimeout(timer)
        return new Promise<void>((release) => resolve(release))
      })
      .catch((e: unknown) => {
        clearTimeout(timer)
        const db = name.replace(/^cowdb:/, '')
        reject(e instanceof DOMException && e.name === 'AbortError' ? new LockedError(`cowdb: '${db}' is open in another tab or worker (waited ${timeoutMs} ms)`) : e)
      })
  })
}

/** Takes the lock if it is free now; undefined if another worker holds it. */
function tryLock(name: string): Promise<(() => void) | undefined> {
  return new Promise((resolve, reject) => {
    navigator.locks
      .request(name, { mode: 'exclusive', ifAvailable: true }, (lock) => {
        if (!lock) return resolve(undefined)
        return new Promise<void>((release) => resolve(release))
      })
      .catch(reject)
  })
}

/** Follows the leader, and queues for the lock: when it comes, this worker leads. */
function follow(req: OpenRequest, lockName: string): void {
  follower = new Follower(me, channel!)
  void navigator.locks.request(lockName, { mode: 'exclusive' }, () =>
    new Promise<void>((release) => {
      if (closing) return release()
      opening = lead(req, release)
      opening
        .catch((e: unknown) => {
          broken = e
          follower?.fail(toWire(e))
          follower = undefined
        })
        .finally(() => (opening = undefined))
    }),
  )
}

const api: WorkerApi & { openResult(req: OpenRequest): Promise<Result> } = {
  async open(req) {
    const r = await api.openResult(req)
    if (!r.ok) throw new Error(`${r.error.name}: ${r.error.message}`)
  },
  openResult(req) {
    return settle(async () => {
      if (db || follower) throw new TypeError('cowdb: this worker already has a database open')
      const lockName = `cowdb:${req.name}`
      if (!req.share) {
        await lead(req, await waitForLock(lockName, req.lockTimeout))
        return 'leader'
      }
      channel = new BroadcastChannel(lockName)
      channel.onmessage = (e: MessageEvent<ShareMessage>) => onShareMessage(e.data)
      const release = await tryLock(lockName)
      if (!release) {
        follow(req, lockName)
        return 'follower'
      }
      opening = lead(req, release)
      try {
        await opening
      } finally {
        opening = undefined
      }
      return 'leader'
    })
  },
  call: clientCall,
  connect(port: MessagePort) {
    clientPort = port
    // Comlink's per-call bookkeeping costs about as much as the round trip itself, so the
    // calls travel on a plain port; Comlink keeps open/close.
    port.onmessage = (e: MessageEvent<BatchRequest>) => {
      const [id, calls] = e.data
      void clientCall(calls).then((results) => port.postMessage([id, results] satisfies BatchResponse))
    }
  },
  async close() {
    closing = true
    follower = undefined
    const d = db
    db = undefined
    for (const off of subscriptions.values()) off()
    subscriptions.clear()
    try {
      await d?.close() // leaves the channel and releases the lock: a follower takes over
    } finally {
      channel?.close()
      channel = undefined
    }
  },
}

Comlink.expose(api)
postMessage(UP) // openDB waits for this (worker-start.ts)
