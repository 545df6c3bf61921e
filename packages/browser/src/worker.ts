// The worker entry: owns the database's OPFS files (through a Web Lock, so a second tab or a
// second openDB of the same name can never open them twice) and runs calls for the client.

import * as Comlink from 'comlink'
import { ClosedError, Database, LockedError, type Progress } from '@cowdb/core'
import { METHODS, toWire, type BatchRequest, type BatchResponse, type Call, type EventMessage, type ProgressOptions, type OpenRequest, type Result, type WorkerApi } from './protocol.js'
import { openOpfsStorage } from './storage.js'

let db: Database | undefined
const allowed = new Set<string>(METHODS)
/** The client's port, which also carries subscription events; and each subscription's end. */
let clientPort: MessagePort | undefined
const subscriptions = new Map<number, () => void>()

/** subscribe/unsubscribe take the client's subscription id; events go out on its port. */
const subscriptionCalls = {
  async subscribe(id: number, range: Parameters<Database['subscribe']>[0]) {
    const off = await db!.subscribe(range, (event) => clientPort?.postMessage(['event', id, event] satisfies EventMessage))
    subscriptions.set(id, off)
  },
  unsubscribe(id: number) {
    subscriptions.get(id)?.()
    subscriptions.delete(id)
  },
}

/** Waits up to `timeoutMs` for the exclusive lock `name`; resolves with its release function. */
function acquireLock(name: string, timeoutMs: number): Promise<() => void> {
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

async function settle(run: () => Promise<unknown>): Promise<Result> {
  try {
    return { ok: true, value: await run() }
  } catch (e) {
    return { ok: false, error: toWire(e) }
  }
}

/** Options with `$progress: id` get an onProgress that reports on the client's port. */
function withProgress(arg: unknown): unknown {
  const id = (arg as ProgressOptions | null)?.$progress
  if (typeof id !== 'number') return arg
  return { ...(arg as object), onProgress: (p: Progress) => clientPort?.postMessage(['progress', id, p] satisfies EventMessage) }
}

const api: WorkerApi & { openResult(req: OpenRequest): Promise<Result> } = {
  async open(req) {
    const r = await api.openResult(req)
    if (!r.ok) throw new Error(`${r.error.name}: ${r.error.message}`)
  },
  openResult(req) {
    return settle(async () => {
      if (db) throw new TypeError('cowdb: this worker already has a database open')
      const release = await acquireLock(`cowdb:${req.name}`, req.lockTimeout)
      try {
        const storage = await openOpfsStorage(req.name)
        storage.release = release
        db = await Database.open(storage, req.options)
      } catch (e) {
        release()
        throw e
      }
    })
  },
  call(calls: Call[]) {
    // Started in order, so commits keep the order the client issued them in; each settles alone.
    return Promise.all(
      calls.map((c) =>
        settle(async () => {
          if (!db) throw new ClosedError('cowdb: the database is closed')
          if (!allowed.has(c.method)) throw new TypeError(`cowdb: unknown method ${c.method}`)
          if (c.method === 'subscribe' || c.method === 'unsubscribe') return (subscriptionCalls[c.method] as (...a: unknown[]) => unknown)(...c.args)
          const fn = (db as unknown as Record<string, (...a: unknown[]) => unknown>)[c.method]!
          return fn.apply(db, c.args.map(withProgress))
        }),
      ),
    )
  },
  connect(port: MessagePort) {
    clientPort = port
    // Comlink's per-call bookkeeping costs about as much as the round trip itself, so the
    // calls travel on a plain port; Comlink keeps open/close.
    port.onmessage = (e: MessageEvent<BatchRequest>) => {
      const [id, calls] = e.data
      void api.call(calls).then((results) => port.postMessage([id, results] satisfies BatchResponse))
    }
  },
  async close() {
    const d = db
    db = undefined
    subscriptions.clear()
    await d?.close()
  },
}

Comlink.expose(api)
